import FoundationEssentials
import Shared

/// Finds programs by name in a fixed list of system directories, never in `$PATH`, so what the agent runs as root
/// does not depend on the environment it was started from.
struct ProgramLocator: Sendable {
    static let systemDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    var directories: [String] = Self.systemDirectories
    /// Names treated as absent: tests hide `nft` to exercise the iptables fallback.
    var hidden: Set<String> = []

    /// The absolute path of `name`, or of `name` itself when it is already absolute; nil if missing or hidden.
    func path(of name: String) -> String? {
        if name.hasPrefix("/") {
            let base = FileSystemPath.lastComponent(of: name)
            return !hidden.contains(base) && FileManager.default.isExecutableFile(atPath: name) ? name : nil
        }
        guard !hidden.contains(name), !name.contains("/") else { return nil }
        return directories.lazy.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
