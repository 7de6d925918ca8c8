import Foundation

/// Installs or removes a `BootUnit` under a root directory (`/` in production, a temporary directory in tests), and
/// enables it with systemctl when asked to.
public struct BootInstaller: Sendable {
    public enum Kind: Sendable, Equatable {
        case systemd, cron

        /// systemd when it is the running init (its runtime directory exists), cron otherwise.
        public static func detect() -> Kind {
            FileManager.default.fileExists(atPath: "/run/systemd/system") ? .systemd : .cron
        }
    }

    public let root: String

    public init(root: String = "/") {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    public func path(of unit: BootUnit, kind: Kind) -> String {
        switch kind {
        case .systemd: "\(root)/etc/systemd/system/\(unit.systemdUnitName)"
        case .cron: "\(root)/etc/cron.d/\(unit.cronFileName)"
        }
    }

    /// Writes the unit or cron file (mode 0644); returns its path.
    @discardableResult
    public func install(_ unit: BootUnit, kind: Kind) throws -> String {
        let problems = unit.problems
        guard problems.isEmpty else { throw ConfigError(problems: problems.map { ConfigProblem(field: "install-boot", reason: $0) }) }
        let path = path(of: unit, kind: kind)
        let text = kind == .systemd ? unit.systemdUnit : unit.cronFile
        try write(text, to: path)
        if kind == .systemd, let users = unit.sysusersFile { try write(users, to: sysusersPath) }
        return path
    }

    /// Where the hub's `sysusers.d` entry goes. Uninstalling leaves it and the user (files may still belong to it).
    public var sysusersPath: String { "\(root)/etc/sysusers.d/vigil.conf" }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ConfigError(problems: [ConfigProblem(field: "install-boot", reason: "cannot write \(path)")])
        }
        // Under the programs' umask 077 the file would be created 0600; systemd and cron need to read it.
        guard chmod(path, 0o644) == 0 else {
            throw ConfigError(problems: [ConfigProblem(field: "install-boot", reason: "cannot make \(path) readable (chmod 644)")])
        }
    }

    /// Removes whichever of the two files exists; returns the removed paths.
    public func uninstall(_ unit: BootUnit) throws -> [String] {
        var removed: [String] = []
        for kind in [Kind.systemd, .cron] {
            let path = path(of: unit, kind: kind)
            if FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
                removed.append(path)
            }
        }
        return removed
    }

    /// Runs `systemctl` with an argument vector (no shell); returns its exit status.
    public static func systemctl(_ arguments: [String]) -> Int32 {
        run("/bin/systemctl", arguments)
    }

    /// Runs `program` with an argument vector (no shell); returns its exit status.
    public static func run(_ program: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        } catch {
            return -1
        }
    }
}
