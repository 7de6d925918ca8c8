import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Checks that each enabled detector can still see its input: the log files exist and are readable, journalctl is
/// there for a journald source, `/proc/stat` for the CPU. A blind detector is reported by name and reason.
struct InputHealthSource: DetectorHealthSource {
    let detectors: DetectorsConfiguration

    func detectorHealth() async -> [DetectorHealth] {
        var health: [DetectorHealth] = []
        let ssh = detectors.ssh
        if ssh.isActive {
            let readable = ssh.paths.filter { access($0, R_OK) == 0 }
            let problem: String?
            switch ssh.source {
            case .journald:
                problem = access(ssh.journalctl, X_OK) == 0 ? nil : "\(ssh.journalctl) is missing"
            case .file:
                problem = readable.isEmpty ? "cannot read \(ssh.paths.joined(separator: ", "))" : nil
            case .auto where ssh.pathsAreExplicit:
                problem = readable.isEmpty ? "cannot read \(ssh.paths.joined(separator: ", "))" : nil
            case .auto:
                problem = readable.isEmpty && access(ssh.journalctl, X_OK) != 0 ? "no auth log and no journalctl" : nil
            }
            health.append(DetectorHealth(name: "ssh", linesRead: nil, lastLineAt: nil, problem: problem))
        }
        if detectors.http404.enabled, !detectors.http404.paths.isEmpty {
            let unreadable = detectors.http404.paths.filter { access($0, R_OK) != 0 }
            health.append(
                DetectorHealth(
                    name: "http404",
                    linesRead: nil,
                    lastLineAt: nil,
                    problem: unreadable.isEmpty ? nil : "cannot read \(unreadable.joined(separator: ", "))"
                )
            )
        }
        if detectors.cpu.enabled {
            let stat = detectors.cpu.procRoot + "/stat"
            health.append(
                DetectorHealth(name: "cpu", linesRead: nil, lastLineAt: nil, problem: access(stat, R_OK) == 0 ? nil : "cannot read \(stat)"))
        }
        return health
    }
}
