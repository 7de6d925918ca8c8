import FoundationEssentials

/// Something an agent saw that a human should know about, with the responses it offers.
public struct Alert: Codable, Sendable, Equatable, Identifiable {
    /// Made by the agent; the deduplication key from the agent's outbox to the Telegram message.
    public var id: UUID
    public var agent: String
    public var hostname: String
    public var kind: AlertKind
    public var severity: Severity
    public var observedAt: Date
    public var subject: AlertSubject
    /// The responses this agent is willing to run for this alert.
    public var actions: [AlertAction]

    public init(
        id: UUID = UUID(),
        agent: String,
        hostname: String,
        kind: AlertKind,
        severity: Severity,
        observedAt: Date,
        subject: AlertSubject,
        actions: [AlertAction]
    ) {
        self.id = id
        self.agent = agent
        self.hostname = hostname
        self.kind = kind
        self.severity = severity
        self.observedAt = observedAt
        self.subject = subject
        self.actions = actions
    }
}

/// What kind of event an alert reports.
public enum AlertKind: String, Codable, Sendable, CaseIterable {
    case sshSession = "ssh_session"
    case sshBruteForce = "ssh_bruteforce"
    case cpuSustained = "cpu_sustained"
    case cpuRecovered = "cpu_recovered"
    case http404Burst = "http_404_burst"
    case agentOffline = "agent_offline"
    case agentRecovered = "agent_recovered"
    case detectorUnhealthy = "detector_unhealthy"
    /// A service started listening (or the baseline of those present at first start).
    case newListener = "new_listener"
    /// New pending security updates from the host's own apt lists, one alert per newly pending set of source packages.
    case securityUpdates = "security_updates"
    /// An `upgrade_packages` command that answered `started` has ended: the hub folds this into the chosen alert's message.
    case upgradeFinished = "upgrade_finished"
    /// After an upgrade: services still run deleted (replaced) files, or the host asks for a reboot.
    case restartNeeded = "restart_needed"
    /// A watched identity or persistence file changed (accounts, sudoers, keys, sshd, cron, units, loader, PAM…), or
    /// one digest of those a package run changed.
    case identityChange = "identity_change"
}

/// How urgent an alert is.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case info, warning, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .critical: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A response an operator can choose for an alert; the raw value is also the choice in `callback_data`.
public enum AlertAction: String, Codable, Sendable, CaseIterable {
    case acknowledge
    case ignore
    case killSession = "kill_session"
    case blockIP1h = "block_ip_1h"
    case blockIP24h = "block_ip_24h"
    case blockIPPermanent = "block_ip_permanent"
    case reboot
    case shutdown
    /// Upgrade the pending security updates of a `security_updates` alert (pinned and simulated first).
    case upgradePackages = "upgrade_packages"
    /// Restart the units a `restart_needed` alert names.
    case restartServices = "restart_services"
    /// A new listener: take its identity into the agent's accepted baseline (never alerted again).
    case acceptListener = "accept_listener"
    /// A new listener: end its process, checked by pid and start time.
    case killProcess = "kill_process"
    /// A new listener: `systemctl stop` its unit.
    case stopService = "stop_service"
    /// A new listener: `systemctl stop` and `systemctl disable` its unit.
    case stopDisableService = "stop_disable_service"
    /// A new listener: drop its port from everywhere but loopback and `responses.never_block`.
    case blockPort = "block_port"
    /// A new listener: the hub hides new_listener alerts of this executable on this agent (no command to the agent).
    case muteProgram = "mute_program"
    /// An identity change: the file as it is now stays the agent's baseline; the copy kept from before is discarded.
    case acceptChange = "accept_change"
    /// An identity change: the kept copy from before is restored, only while the file still has the alert's content.
    case revertFile = "revert_file"
    /// A key added to an authorized_keys file: exactly that key's line is removed.
    case removeKey = "remove_key"
    /// A user added: `usermod -L -e 1` (no password, expired, so no key login either) and their sessions ended.
    case lockUser = "lock_user"
    /// A member added to a group: `gpasswd -d`.
    case removeFromGroup = "remove_from_group"
    /// The process that wrote the change, checked by pid and start time.
    case killWriter = "kill_writer"
}
