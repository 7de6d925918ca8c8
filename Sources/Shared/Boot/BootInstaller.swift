import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Installs or removes a `BootUnit` under a root directory (`/` in production, a temporary directory in tests), and
/// enables it with systemctl when asked to.
public struct BootInstaller: Sendable {
    public enum Kind: Sendable, Equatable {
        case systemd, cron

        /// systemd when it is the running init (its runtime directory exists under `root`), cron otherwise.
        public static func detect(root: String = "/") -> Kind {
            FileManager.default.fileExists(atPath: "\(root == "/" ? "" : root)/run/systemd/system") ? .systemd : .cron
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

    /// `/etc/logrotate.d/vigil` under the root.
    public var logRotationPath: String { "\(root)/etc/logrotate.d/\(LogRotation.fileName)" }

    /// Writes the unit or cron file (mode 0644), and with cron the logrotate file for its log; returns the paths
    /// written. Refuses a binary or configuration that is not there (under the root): the unit would fail at every
    /// boot, far from the mistake.
    @discardableResult
    public func install(_ unit: BootUnit, kind: Kind) throws -> [String] {
        let problems = unit.problems + missingFiles(unit)
        guard problems.isEmpty else { throw ConfigError(problems: problems.map { ConfigProblem(field: "install-boot", reason: $0) }) }
        var written = [try write(kind == .systemd ? unit.systemdUnit : unit.cronFile, to: path(of: unit, kind: kind))]
        if kind == .systemd, let users = unit.sysusersFile { written.append(try write(users, to: sysusersPath)) }
        if kind == .cron { written.append(try write(LogRotation.configuration, to: logRotationPath)) }
        return written
    }

    /// Where the hub's `sysusers.d` entry goes. Uninstalling leaves it and the user (files may still belong to it).
    public var sysusersPath: String { "\(root)/etc/sysusers.d/vigil.conf" }

    /// The binary must be an executable file and the configuration a readable file, both under the root.
    func missingFiles(_ unit: BootUnit) -> [String] {
        let prefix = root == "/" ? "" : root
        var problems: [String] = []
        let binary = prefix + unit.binary
        if FileSystemPath.kind(of: binary) ?? .directory == .directory {
            problems.append("binary \(binary) does not exist: copy the program there first, or name it with --binary PATH")
        } else if !FileManager.default.isExecutableFile(atPath: binary) {
            problems.append("binary \(binary) is not executable: chmod 0755 it")
        }
        let config = prefix + unit.config
        if FileSystemPath.kind(of: config) ?? .directory == .directory {
            problems.append(
                "config \(config) does not exist: write it first (from config/\(unit.program == .agent ? "agent" : "hub").example.yml), "
                    + "or name it with --config PATH")
        } else if !FileManager.default.isReadableFile(atPath: config) {
            problems.append("config \(config) is not readable")
        }
        return problems
    }

    private func write(_ text: String, to path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: FileSystemPath.directory(of: path), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ConfigError(problems: [ConfigProblem(field: "install-boot", reason: "cannot write \(path)")])
        }
        // Under the programs' umask 077 the file would be created 0600; systemd and cron need to read it.
        guard chmod(path, 0o644) == 0 else {
            throw ConfigError(problems: [ConfigProblem(field: "install-boot", reason: "cannot make \(path) readable (chmod 644)")])
        }
        return path
    }

    /// Removes whichever of the two files exists, and the logrotate file once no program is started by cron;
    /// returns the removed paths.
    public func uninstall(_ unit: BootUnit) throws -> [String] {
        var removed: [String] = []
        for kind in [Kind.systemd, .cron] {
            let path = path(of: unit, kind: kind)
            if FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
                removed.append(path)
            }
        }
        let cronStillUsed = BootUnit.Program.allCases.contains {
            FileManager.default.fileExists(atPath: path(of: BootUnit(program: $0), kind: .cron))
        }
        if !cronStillUsed, FileManager.default.fileExists(atPath: logRotationPath) {
            try FileManager.default.removeItem(atPath: logRotationPath)
            removed.append(logRotationPath)
        }
        return removed
    }

    /// Runs `systemctl` with an argument vector (no shell); returns its exit status.
    public static func systemctl(_ arguments: [String]) -> Int32 {
        run("/bin/systemctl", arguments)
    }

    /// Runs `program` with an argument vector (no shell); returns its exit status.
    public static func run(_ program: String, _ arguments: [String]) -> Int32 {
        do {
            let child = try ProgramSpawner.spawn([program] + arguments, standardInput: .inherit, standardOutput: .inherit, standardError: .inherit)
            return child.waitForExit().code
        } catch {
            return -1
        }
    }
}
