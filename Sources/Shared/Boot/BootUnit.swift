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

    public init(program: Program, binary: String? = nil, config: String? = nil, stateDirectory: String? = nil) {
        self.program = program
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

    /// The systemd unit: restarts on failure, hardened as far as the program's work allows.
    public var systemdUnit: String {
        let hardening: [String]
        switch program {
        case .agent:
            // nft needs CAP_NET_ADMIN, kill needs CAP_KILL, power actions talk to systemd: no user switch, no
            // capability bounding; the filesystem is read-only except the state directory.
            hardening = [
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
        return stateDirectory.hasPrefix(prefix) ? "StateDirectory=\(stateDirectory.dropFirst(prefix.count))" : "ReadWritePaths=\(stateDirectory)"
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
