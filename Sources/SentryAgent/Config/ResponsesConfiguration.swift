import FoundationEssentials
import Shared

/// Which responses the agent runs, and the rails around them (the `responses:` section).
///
/// Power actions are off unless enabled: a reboot is never a default. Every field has a default, so an agent with no
/// `responses:` section blocks and kills sessions, refuses reboot and shutdown, and picks its firewall itself.
public struct ResponsesConfiguration: Sendable, Equatable {
    /// Which firewall the agent drives.
    public enum FirewallChoice: String, Sendable, Equatable, CaseIterable {
        /// nftables when `nft` is installed, else iptables/ip6tables (with ipset when present).
        case auto
        case nftables
        case iptables
    }

    /// Allows `block_ip` and `unblock_ip`.
    public var blockIP: Bool = true
    /// Allows `kill_session`.
    public var killSession: Bool = true
    /// Allows `reboot`.
    public var reboot: Bool = false
    /// Allows `shutdown`.
    public var shutdown: Bool = false
    /// Allows `upgrade_packages` (pinned, simulated security upgrades through apt).
    public var upgradePackages: Bool = false
    /// Allows `restart_services` (`systemctl restart` of the units an upgrade left on replaced files).
    public var restartServices: Bool = false
    /// `Name=value` apt options for the upgrade's simulation and run (each passed as `-o Name=value`).
    public var aptOptions: [String] = []
    /// How long an upgrade waits for another package manager's dpkg lock (`Dpkg::Lock::Timeout`).
    public var dpkgLockTimeout: Duration = .seconds(120)
    /// Allows `accept_listener` (a new listener taken into the accepted baseline).
    public var acceptListener: Bool = true
    /// Allows `kill_process` (a new listener's process, checked by pid and start time).
    public var killProcess: Bool = true
    /// Allows `stop_service` (`systemctl stop`, optionally `disable`, of a new listener's unit).
    public var stopService: Bool = true
    /// Allows `block_port` and `unblock_port`.
    public var blockPort: Bool = true
    /// Allows `accept_change` (an identity change taken as it is; the copy from before it discarded).
    public var acceptChange: Bool = true
    /// Allows `revert_file` (an identity file restored to its kept copy from before the change).
    public var revertFile: Bool = true
    /// Allows `remove_key` (one key's lines removed from an authorized_keys file).
    public var removeKey: Bool = true
    /// Allows `lock_user` (`usermod -L -e 1` and the user's sessions ended).
    public var lockUser: Bool = true
    /// Allows `remove_from_group` (`gpasswd -d`).
    public var removeFromGroup: Bool = true
    /// Allows `kill_writer` (the process that wrote an identity change, checked by pid and start time).
    public var killWriter: Bool = true
    /// Networks the agent refuses to block, whatever the hub asks (beside loopback, its own addresses and the hub).
    public var neverBlock: [IPNetwork] = []
    /// The firewall backend.
    public var firewall: FirewallChoice = .auto
    /// Time a session gets between SIGTERM and SIGKILL.
    public var killGrace: Duration = .seconds(3)
    /// The reboot program and its arguments; nil means `systemctl reboot`, or `shutdown -r now` without systemd.
    public var rebootCommand: [String]?
    /// The power-off program and its arguments; nil means `systemctl poweroff`, or `shutdown -h now` without systemd.
    public var shutdownCommand: [String]?
    /// Time between answering a reboot or shutdown and running it, so the reply leaves the host first.
    public var powerDelay: Duration = .seconds(2)
    /// Longest timed block accepted; longer requests are refused (a permanent block has no duration).
    /// 24 days is ipset's largest timeout, so every backend can honour it in the kernel.
    public var maxBlockDuration: Duration = .seconds(24 * 86_400)
    /// The widest IPv6 prefix a block may name (`2001:db8:1:2::/64` is allowed at the default 48, `/32` is not).
    /// IPv4 blocks are always single addresses.
    public var minIPv6Prefix = 48

    public init() {}

    /// The `responses:` section of the agent configuration at `path`, alone: `install-boot` needs to know whether
    /// power actions are on without the rest (whose `{env:}` secrets may not be set where it runs). A missing file
    /// counts as the defaults (power actions off); an unreadable section is an error naming its fields.
    public static func load(fromAgentConfiguration path: String) throws -> ResponsesConfiguration {
        guard FileManager.default.fileExists(atPath: path) else { return ResponsesConfiguration() }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(field: "(file)", reason: "cannot read \(path)")])
        }
        let root = try YAMLDocument.compose(text)
        let log = ProblemLog()
        let responses = read(ConfigReader(node: root, path: "", log: log).section("responses"))
        guard log.problems.isEmpty else { throw ConfigError(problems: log.problems) }
        return responses
    }

    static func read(_ reader: ConfigReader) -> ResponsesConfiguration {
        var responses = ResponsesConfiguration()
        responses.blockIP = reader.bool("block_ip", default: responses.blockIP)
        responses.killSession = reader.bool("kill_session", default: responses.killSession)
        responses.reboot = reader.bool("reboot", default: responses.reboot)
        responses.shutdown = reader.bool("shutdown", default: responses.shutdown)
        responses.upgradePackages = reader.bool("upgrade_packages", default: responses.upgradePackages)
        responses.restartServices = reader.bool("restart_services", default: responses.restartServices)
        for (index, option) in reader.stringList("apt_options").enumerated() {
            // `Name=value` only: an option starting with `-` or carrying a NUL would be a different apt argument.
            guard let equals = option.firstIndex(of: "="), option.first != "-", equals != option.startIndex, !option.utf8.contains(0) else {
                reader.problem("apt_options[\(index)]", "expected Name=value (like Acquire::http::Proxy=http://proxy:3128)")
                continue
            }
            responses.aptOptions.append(option)
        }
        responses.dpkgLockTimeout = reader.duration("dpkg_lock_timeout", default: responses.dpkgLockTimeout, in: .seconds(1)...(.seconds(3600)))
        responses.acceptListener = reader.bool("accept_listener", default: responses.acceptListener)
        responses.killProcess = reader.bool("kill_process", default: responses.killProcess)
        responses.stopService = reader.bool("stop_service", default: responses.stopService)
        responses.blockPort = reader.bool("block_port", default: responses.blockPort)
        responses.acceptChange = reader.bool("accept_change", default: responses.acceptChange)
        responses.revertFile = reader.bool("revert_file", default: responses.revertFile)
        responses.removeKey = reader.bool("remove_key", default: responses.removeKey)
        responses.lockUser = reader.bool("lock_user", default: responses.lockUser)
        responses.removeFromGroup = reader.bool("remove_from_group", default: responses.removeFromGroup)
        responses.killWriter = reader.bool("kill_writer", default: responses.killWriter)
        for (index, text) in reader.stringList("never_block").enumerated() {
            guard let network = IPNetwork(text) else {
                reader.problem("never_block[\(index)]", "not an address or CIDR block with its host bits zero (like 10.0.0.0/8)")
                continue
            }
            responses.neverBlock.append(network)
        }
        if let text = reader.string("firewall") {
            if let choice = FirewallChoice(rawValue: text) {
                responses.firewall = choice
            } else {
                reader.problem("firewall", "expected one of auto, nftables, iptables")
            }
        }
        responses.killGrace = reader.duration("kill_grace", default: responses.killGrace, in: .seconds(1)...(.seconds(60)))
        responses.powerDelay = reader.duration("power_delay", default: responses.powerDelay, in: .seconds(1)...(.seconds(60)))
        responses.minIPv6Prefix = reader.int("min_ipv6_prefix", default: responses.minIPv6Prefix, in: 16...128)
        responses.rebootCommand = readArgv(reader, "reboot_command")
        responses.shutdownCommand = readArgv(reader, "shutdown_command")
        reader.rejectUnknownKeys()
        return responses
    }

    /// An argument vector: a program (absolute path or a bare name looked up in the sbin/bin directories) and its
    /// arguments. Never run by a shell, so no quoting rules apply; empty or NUL-carrying arguments are mistakes.
    private static func readArgv(_ reader: ConfigReader, _ key: String) -> [String]? {
        guard reader.has(key) else { return nil }
        let argv = reader.stringList(key)
        guard let program = argv.first else {
            reader.problem(key, "expected a list: the program, then its arguments")
            return nil
        }
        guard program.hasPrefix("/") || !program.contains("/") else {
            reader.problem(key, "the program must be an absolute path or a bare name, not a relative path")
            return nil
        }
        guard argv.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(0) }) else {
            reader.problem(key, "arguments must be non-empty")
            return nil
        }
        return argv
    }
}
