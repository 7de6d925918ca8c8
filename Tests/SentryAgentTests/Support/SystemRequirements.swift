import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Facts about the machine that decide whether system tests can run. Tests use them in `.enabled(if:)` traits, so a
/// skipped test prints why (`needs root`, `needs nft`), and `.ci/run` provides all of them.
enum SystemRequirements {
    static var isRoot: Bool { geteuid() == 0 }

    /// The absolute path of `program` on PATH (plus the sbin directories), or nil.
    static func path(of program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return directories.lazy.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func has(_ program: String) -> Bool { path(of: program) != nil }

    /// Root and `ip netns` available: network-namespace tests can run.
    static var canUseNetworkNamespaces: Bool { isRoot && has("ip") }
}
