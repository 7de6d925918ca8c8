/// What starts a program at boot: a systemd unit (preferred) or an `/etc/cron.d` `@reboot` line with a restart loop.
///
/// Generated text only; `BootInstaller` writes it. Paths are checked to be plain absolute paths, because the cron
/// line is interpreted by a shell.
public struct BootUnit: Sendable, Equatable {
    public enum Program: String, Sendable, CaseIterable {
        case agent = "sentry-agent"
        case hub = "bothub"

        var summary: String {
            switch self {
            case .agent: "Vigil sentry agent: watches this server and runs operator-chosen responses"
            case .hub: "Vigil hub: relays agents' alerts to Telegram and carries out operators' choices"
            }
        }

        /// Where the program keeps state by default (writable under ProtectSystem=strict).
        var stateDirectory: String {
            switch self {
            case .agent: "/var/lib/vigil-agent"
            case .hub: "/var/lib/vigil-hub"
            }
        }
    }

    public var program: Program
    public var binary: String
    public var config: String
    public var stateDirectory: String
    public var logFile: String
    /// The agent may reboot or power off (`responses.reboot` or `responses.shutdown`): only then does its unit keep
    /// `CAP_SYS_BOOT`. Ignored for the hub.
    public var powerActions: Bool
    /// The agent may end SSH sessions (`responses.kill_session`, on by default): only then does its unit keep
    /// `CAP_SYS_PTRACE`. Ignored for the hub.
    public var sessionKills: Bool

    /// The dedicated user the hub runs as (created from `sysusersFile` by `install-boot`).
    public static let hubUser = "vigil"

    public init(
        program: Program, binary: String? = nil, config: String? = nil, stateDirectory: String? = nil, powerActions: Bool = false,
        sessionKills: Bool = true
    ) {
        self.program = program
        self.powerActions = powerActions
        self.sessionKills = sessionKills
        self.binary = binary ?? "/usr/local/bin/\(program.rawValue)"
        self.config = config ?? "/etc/vigil/\(program == .agent ? "agent" : "hub").yml"
        self.stateDirectory = stateDirectory ?? program.stateDirectory
        self.logFile = "/var/log/vigil/\(program.rawValue).log"
    }

    /// Problems with the paths, if any (each must be absolute and free of spaces, quotes and shell syntax).
    public var problems: [String] {
        [("binary", binary), ("config", config), ("state directory", stateDirectory)].compactMap { name, path in
            let safe =
                path.hasPrefix("/")
                && path.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "/._-".utf8.contains(byte)
                }
            return safe ? nil : "\(name) \(path): use an absolute path of letters, digits, '/', '.', '_' and '-'"
        }
    }

    public var systemdUnitName: String { "\(program.rawValue).service" }
    public var cronFileName: String { program.rawValue }

    /// The capabilities the agent keeps: the firewall (`CAP_NET_ADMIN`), signalling other users' sessions
    /// (`CAP_KILL`), reading logs it does not own (`CAP_DAC_READ_SEARCH`); finding a session's sshd process only when
    /// session kills are on (`CAP_SYS_PTRACE`: sshd makes itself non-dumpable, and the kernel then lets only that
    /// capability read its `/proc/<pid>/fd` links, which is how the detector ties a login to its process); and
    /// rebooting only when power actions are on (`CAP_SYS_BOOT`).
    public var agentCapabilities: [String] {
        ["CAP_NET_ADMIN", "CAP_KILL", "CAP_DAC_READ_SEARCH"] + (sessionKills ? ["CAP_SYS_PTRACE"] : []) + (powerActions ? ["CAP_SYS_BOOT"] : [])
    }

    /// The systemd unit: restarts on failure, hardened as far as the program's work allows.
    ///
    /// Both: files created 0600 (`UMask=0077`), a state directory only the service can enter (`StateDirectoryMode=0700`),
    /// enough descriptors for `listen.max_connections` (`LimitNOFILE=`), a memory ceiling, and `{env: NAME}` secrets
    /// from an optional root-only environment file. The hub needs no privilege at all and runs as the `vigil` user;
    /// the agent stays root (it reads other users' logs and /proc, drives the firewall, signals sessions) but keeps
    /// only the capabilities those jobs need.
    public var systemdUnit: String {
        let hardening: [String]
        switch program {
        case .agent:
            let capabilities = agentCapabilities.joined(separator: " ")
            hardening = [
                "EnvironmentFile=-/etc/vigil/agent.env",
                "UMask=0077",
                "LimitNOFILE=65536",
                "MemoryMax=512M",
                "CapabilityBoundingSet=\(capabilities)",
                "AmbientCapabilities=\(capabilities)",
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                writableState,
                "ProtectHome=read-only",
                "PrivateTmp=yes",
                "ProtectClock=yes",
                "ProtectKernelModules=yes",
                "RestrictSUIDSGID=yes",
                "LockPersonality=yes",
            ]
        case .hub:
            hardening = [
                "User=\(Self.hubUser)",
                "Group=\(Self.hubUser)",
                "EnvironmentFile=-/etc/vigil/hub.env",
                "UMask=0077",
                "LimitNOFILE=65536",
                "MemoryMax=1G",
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                writableState,
                "ProtectHome=yes",
                "PrivateTmp=yes",
                "PrivateDevices=yes",
                "ProtectClock=yes",
                "ProtectKernelTunables=yes",
                "ProtectKernelModules=yes",
                "ProtectControlGroups=yes",
                "RestrictSUIDSGID=yes",
                "RestrictNamespaces=yes",
                "LockPersonality=yes",
                "CapabilityBoundingSet=",
            ]
        }
        return """
            [Unit]
            Description=\(program.summary)
            After=network-online.target
            Wants=network-online.target

            [Service]
            Type=simple
            ExecStart=\(binary) run --config \(config)
            Restart=on-failure
            RestartSec=5
            \(hardening.joined(separator: "\n"))

            [Install]
            WantedBy=multi-user.target

            """
    }

    /// Under /var/lib, systemd creates and owns the directory (`StateDirectory=`); elsewhere it must exist.
    private var writableState: String {
        let prefix = "/var/lib/"
        guard stateDirectory.hasPrefix(prefix) else { return "ReadWritePaths=\(stateDirectory)" }
        return "StateDirectory=\(stateDirectory.dropFirst(prefix.count))\nStateDirectoryMode=0700"
    }

    /// The `sysusers.d` entry that creates the hub's user (a system user with no login shell and no home); nil for
    /// the agent. `install-boot` writes it to `/etc/sysusers.d/vigil.conf` and runs `systemd-sysusers`.
    public var sysusersFile: String? {
        guard program == .hub else { return nil }
        return """
            # The user bothub runs as (written by `bothub install-boot`; applied with systemd-sysusers).
            u \(Self.hubUser) - "Vigil hub" - -

            """
    }

    /// The `/etc/cron.d` file: start at boot as root, restart after a crash, append output to a log file.
    public var cronFile: String {
        let directory = logFile.split(separator: "/").dropLast().joined(separator: "/")
        return """
            # Starts \(program.rawValue) at boot (written by `\(program.rawValue) install-boot --cron`).
            SHELL=/bin/sh
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            @reboot root mkdir -p /\(directory) && while true; do \(binary) run --config \(config) >> \(logFile) 2>&1; sleep 5; done

            """
    }
}
