import Foundation
import Testing
import VigilTestSupport

/// The agent runs on every server, and full Foundation with its ICU data costs ~40 MB on disk and ~20 MiB resident
/// (issue 13). `Shared` and `SentryAgent` import FoundationEssentials only; these tests fail when anything brings
/// Foundation back.
@Suite("the agent links FoundationEssentials, never Foundation or ICU", .serialized, .system)
struct AgentLinkageTests {
    /// Libraries that are full Foundation or what it drags in.
    static let foundationLibraries = [
        "libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so", "libFoundationNetworking.so",
    ]

    /// Swift symbol prefixes of modules that exist only in full Foundation (`$s10Foundation…` is module `Foundation`;
    /// FoundationEssentials' symbols start `$s20FoundationEssentials`).
    static let foundationSymbolPrefixes = ["$s10Foundation", "$s28FoundationInternationalization", "$s20FoundationNetworking", "$s14_FoundationICU"]

    /// Yams imports full Foundation; until configuration is read through libyaml (issue 13) it is the one user left.
    static let yamsSymbolPrefix = "$s4Yams"

    @Test("sentry-agent needs neither libFoundation nor ICU (ldd and its symbols)")
    func agentBinary() async throws {
        guard let binary = FollowerCrashTests.agentBinary else {
            Issue.record("sentry-agent must be built beside the tests")
            return
        }
        let libraries = try await Self.output(of: ["/usr/bin/ldd", binary], withErrors: true)
        let linked = Self.foundationLibraries.filter { libraries.contains($0) }
        // Static binaries have no dynamic section: their symbol table says what was linked in.
        let symbols = try await Self.symbols(of: binary, dynamic: !libraries.contains("not a dynamic executable"))
        let foundationSymbols = symbols.filter { symbol in Self.foundationSymbolPrefixes.contains { symbol.hasPrefix($0) } }
        guard linked.isEmpty, foundationSymbols.isEmpty else {
            let usesYams = try await Self.symbols(of: binary, dynamic: false).contains { $0.hasPrefix(Self.yamsSymbolPrefix) }
            let why =
                usesYams
                ? "Yams is still linked and imports full Foundation: this passes once configuration is read through libyaml (issue 13). "
                    + "The next test shows whether any other Shared/SentryAgent file refers to Foundation."
                : "some Shared/SentryAgent code or a dependency imports Foundation"
            Issue.record(
                """
                \(binary) links Foundation. \(why)
                libraries: \(linked.isEmpty ? "none" : linked.joined(separator: ", "))
                Foundation symbols (\(foundationSymbols.count)): \(foundationSymbols.prefix(8).joined(separator: " "))
                """)
            return
        }
    }

    @Test("no object file of Shared or SentryAgent refers to Foundation, except the YAML readers built on Yams")
    func objectFiles() async throws {
        guard let binary = FollowerCrashTests.agentBinary else {
            Issue.record("sentry-agent must be built beside the tests")
            return
        }
        let products = URL(fileURLWithPath: binary).deletingLastPathComponent()
        var checked = 0
        var offenders: [String] = []
        for module in ["Shared", "SentryAgent", "SentryAgentMain"] {
            let directory = products.appendingPathComponent("\(module).build")
            let objects = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".o") }.sorted()
            for object in objects {
                let path = directory.appendingPathComponent(object).path
                let symbols = try await Self.symbols(of: path, dynamic: false)
                checked += 1
                // Files that read YAML through Yams use the Foundation types Yams' API is made of (until libyaml).
                if symbols.contains(where: { $0.hasPrefix(Self.yamsSymbolPrefix) }) { continue }
                let foundation = symbols.filter { symbol in Self.foundationSymbolPrefixes.contains { symbol.hasPrefix($0) } }
                if !foundation.isEmpty { offenders.append("\(module)/\(object): \(foundation.prefix(3).joined(separator: " "))") }
            }
        }
        #expect(checked > 50, "found only \(checked) object files beside \(binary)")
        #expect(offenders.isEmpty, "these files use Foundation-only API: \(offenders.joined(separator: "; "))")
    }

    /// Every symbol name in `path` (`nm -D` for the dynamic table, plain `nm` for the full one).
    static func symbols(of path: String, dynamic: Bool) async throws -> [String] {
        try await output(of: ["/usr/bin/nm", "--no-sort"] + (dynamic ? ["-D"] : []) + [path]).split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map(String.init)
        }
    }

    /// What `argv` prints on standard output, and on standard error `withErrors` (ldd says "not a dynamic executable"
    /// there; nm's complaints about stripped binaries are dropped).
    static func output(of argv: [String], withErrors: Bool = false) async throws -> String {
        let run = try await ProgramRun.run(argv, mergingErrors: withErrors)
        return run.output
    }
}
