import Foundation
import Shared
import VigilTestSupport

@testable import SentryAgent

extension AptSandbox {
    /// The scanner configured like apt here.
    var scanner: SecurityUpdateScanner {
        SecurityUpdateScanner(runner: ProcessCommandRunner(), aptOptions: aptOptions, status: DpkgStatusReader(path: statusPath))
    }
}

/// apt's simulation as the reference for "pending": `Inst name [installed] (candidate Label:Version/Suite [arch])`
/// lines whose candidate comes from a security archive, for packages already installed.
enum SimulatedUpgrade {
    static func securityInstalls(_ simulation: String) -> [String] {
        simulation.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.first == "Inst", words.count >= 4, words[2].hasPrefix("["), words[3].hasPrefix("(") else { return nil }
            guard let open = line.firstIndex(of: "("), line[open...].contains("Debian-Security:") || line[open...].contains("-security") else {
                return nil
            }
            return "\(words[1]) \(words[2].dropFirst().dropLast()) \(words[3].dropFirst())"
        }.sorted()
    }

    /// The same shape from a scan's non-held pending updates (apt keeps held ones back).
    static func lines(_ pending: [PendingUpdate]) -> [String] {
        pending.filter { !$0.held }.map { "\($0.package) \($0.installed) \($0.candidate)" }.sorted()
    }
}
