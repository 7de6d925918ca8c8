import ArgumentParser
import FoundationEssentials

/// `install-boot` for either program: one implementation, two executables.
public struct InstallBootOptions: ParsableArguments {
    @Flag(help: "Install a systemd unit (the default where systemd runs).")
    public var systemd = false

    @Flag(help: "Install an /etc/cron.d @reboot line with a restart loop and a log file.")
    public var cron = false

    @Option(help: "The configuration file the program runs with.")
    public var config: String?

    @Option(help: "The program's installed path.")
    public var binary: String?

    @Option(help: "Install under this root instead of / (for packaging and tests).")
    public var root: String = "/"

    @Flag(help: "Write the file only; do not run systemctl daemon-reload / enable --now.")
    public var noStart = false

    public init() {}

    public func validate() throws {
        guard !(systemd && cron) else { throw ValidationError("choose one of --systemd and --cron") }
    }

    /// Installs `program`'s boot file and, for systemd at the real root, enables and starts it. `grants` reads what the
    /// program's own configuration file allows its unit (each program owns its configuration; nil keeps the defaults).
    public func run(for program: BootUnit.Program, grants: ((_ configurationFile: String) throws -> BootGrants)? = nil) throws {
        let (unit, kind, lines) = try install(for: program, grants: grants)
        for line in lines { print(line) }
        guard kind == .systemd, root == "/", !noStart else { return }
        guard BootInstaller.systemctl(["daemon-reload"]) == 0, BootInstaller.systemctl(["enable", "--now", unit.systemdUnitName]) == 0 else {
            throw ValidationError("systemctl could not enable \(unit.systemdUnitName); see `systemctl status \(unit.systemdUnitName)`")
        }
        print("enabled and started \(unit.systemdUnitName)")
    }

    /// Writes the boot files; returns what to tell the user (the fallback to cron, each file written).
    func install(
        for program: BootUnit.Program, grants: ((_ configurationFile: String) throws -> BootGrants)? = nil
    ) throws -> (unit: BootUnit, kind: BootInstaller.Kind, lines: [String]) {
        var lines: [String] = []
        let kind: BootInstaller.Kind
        if systemd {
            kind = .systemd
        } else if cron {
            kind = .cron
        } else {
            kind = .detect(root: root)
            if kind == .cron {
                lines.append(
                    "systemd is not running here (no /run/systemd/system): installing an /etc/cron.d @reboot line instead "
                        + "(--systemd writes a unit anyway)")
            }
        }
        var unit = BootUnit(program: program, binary: binary ?? Self.currentExecutable(), config: config)
        if let grants {
            // CAP_SYS_BOOT only for an agent whose configuration allows reboot or shutdown.
            let granted = try grants("\(root == "/" ? "" : root)\(unit.config)")
            unit.powerActions = granted.powerActions
            unit.sessionKills = granted.sessionKills
            lines.append("power actions are \(unit.powerActions ? "enabled: the unit keeps CAP_SYS_BOOT" : "off: the unit drops CAP_SYS_BOOT")")
            lines.append("session kills are \(unit.sessionKills ? "enabled: the unit keeps CAP_SYS_PTRACE" : "off: the unit drops CAP_SYS_PTRACE")")
        }
        let installer = BootInstaller(root: root)
        let written = try installer.install(unit, kind: kind)
        lines += written.map { "wrote \($0)" }
        if kind == .systemd, unit.sysusersFile != nil, root == "/",
            BootInstaller.run("/usr/bin/systemd-sysusers", [installer.sysusersPath]) != 0
        {
            throw ValidationError("systemd-sysusers could not create the user \(BootUnit.hubUser); create it with `useradd --system vigil`")
        }
        return (unit, kind, lines)
    }

    private static func currentExecutable() -> String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        return path.hasPrefix("/") && !path.contains("/.build/") ? path : nil
    }
}

/// `uninstall-boot` for either program.
public struct UninstallBootOptions: ParsableArguments {
    @Option(help: "Remove from under this root instead of /.")
    public var root: String = "/"

    public init() {}

    public func run(for program: BootUnit.Program) throws {
        let unit = BootUnit(program: program)
        if root == "/" { _ = BootInstaller.systemctl(["disable", "--now", unit.systemdUnitName]) }
        let removed = try BootInstaller(root: root).uninstall(unit)
        print(removed.isEmpty ? "nothing to remove" : removed.map { "removed \($0)" }.joined(separator: "\n"))
    }
}

/// The capabilities a program's configuration lets its unit keep: the agent's `responses:` section decides whether
/// power actions (CAP_SYS_BOOT) and session kills (CAP_SYS_PTRACE) stay; the hub's unit keeps neither.
public struct BootGrants: Sendable, Equatable {
    public var powerActions: Bool
    public var sessionKills: Bool

    public init(powerActions: Bool, sessionKills: Bool) {
        self.powerActions = powerActions
        self.sessionKills = sessionKills
    }
}
