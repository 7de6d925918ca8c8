import FoundationEssentials

/// The evidence behind an alert, typed by what was observed. Encoded with a `type` discriminator.
public enum AlertSubject: Codable, Sendable, Equatable {
    case sshSession(SSHSessionEvidence)
    case sshBruteForce(SSHBruteForceEvidence)
    case cpu(CPUEvidence)
    case http404(HTTP404Evidence)
    case agent(AgentEvidence)
    case listener(ListenerEvidence)
    case securityUpdates(SecurityUpdatesEvidence)
    case upgradeFinished(UpgradeFinishedEvidence)
    case restartNeeded(RestartNeededEvidence)
    case identity(IdentityEvidence)

    private enum CodingKeys: String, CodingKey { case type }
    private enum Discriminator: String, Codable {
        case sshSession = "ssh_session"
        case sshBruteForce = "ssh_bruteforce"
        case cpu
        case http404 = "http_404"
        case agent
        case listener
        case securityUpdates = "security_updates"
        case upgradeFinished = "upgrade_finished"
        case restartNeeded = "restart_needed"
        case identity
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Discriminator.self, forKey: .type) {
        case .sshSession: self = .sshSession(try SSHSessionEvidence(from: decoder))
        case .sshBruteForce: self = .sshBruteForce(try SSHBruteForceEvidence(from: decoder))
        case .cpu: self = .cpu(try CPUEvidence(from: decoder))
        case .http404: self = .http404(try HTTP404Evidence(from: decoder))
        case .agent: self = .agent(try AgentEvidence(from: decoder))
        case .listener: self = .listener(try ListenerEvidence(from: decoder))
        case .securityUpdates: self = .securityUpdates(try SecurityUpdatesEvidence(from: decoder))
        case .upgradeFinished: self = .upgradeFinished(try UpgradeFinishedEvidence(from: decoder))
        case .restartNeeded: self = .restartNeeded(try RestartNeededEvidence(from: decoder))
        case .identity: self = .identity(try IdentityEvidence(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sshSession(let evidence):
            try container.encode(Discriminator.sshSession, forKey: .type)
            try evidence.encode(to: encoder)
        case .sshBruteForce(let evidence):
            try container.encode(Discriminator.sshBruteForce, forKey: .type)
            try evidence.encode(to: encoder)
        case .cpu(let evidence):
            try container.encode(Discriminator.cpu, forKey: .type)
            try evidence.encode(to: encoder)
        case .http404(let evidence):
            try container.encode(Discriminator.http404, forKey: .type)
            try evidence.encode(to: encoder)
        case .agent(let evidence):
            try container.encode(Discriminator.agent, forKey: .type)
            try evidence.encode(to: encoder)
        case .listener(let evidence):
            try container.encode(Discriminator.listener, forKey: .type)
            try evidence.encode(to: encoder)
        case .securityUpdates(let evidence):
            try container.encode(Discriminator.securityUpdates, forKey: .type)
            try evidence.encode(to: encoder)
        case .upgradeFinished(let evidence):
            try container.encode(Discriminator.upgradeFinished, forKey: .type)
            try evidence.encode(to: encoder)
        case .restartNeeded(let evidence):
            try container.encode(Discriminator.restartNeeded, forKey: .type)
            try evidence.encode(to: encoder)
        case .identity(let evidence):
            try container.encode(Discriminator.identity, forKey: .type)
            try evidence.encode(to: encoder)
        }
    }
}

/// A successful SSH login and the process that serves it.
public struct SSHSessionEvidence: Codable, Sendable, Equatable {
    public var user: String
    public var ip: String
    public var port: Int
    /// `password`, `publickey`, `keyboard-interactive/pam`, `gssapi-with-mic`.
    public var method: String
    /// The session process (`sshd` or `sshd-session`).
    public var pid: Int32
    /// `/proc/<pid>/stat` field 22 at detection, so a kill cannot hit a reused pid.
    public var pidStartTime: UInt64?
    public var tty: String?

    public init(user: String, ip: String, port: Int, method: String, pid: Int32, pidStartTime: UInt64?, tty: String? = nil) {
        self.user = user
        self.ip = ip
        self.port = port
        self.method = method
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.tty = tty
    }
}

/// Failed SSH attempts from one address.
public struct SSHBruteForceEvidence: Codable, Sendable, Equatable {
    /// The address, or for IPv6 counted per prefix the network in CIDR form (`2001:db8:1:2::/64`).
    public var ip: String
    public var attempts: Int
    /// User names tried, capped by the agent.
    public var users: [String]
    public var windowSeconds: Int
    /// When `ip` is a prefix: the distinct addresses of it seen, capped by the agent (absent from older agents).
    public var addresses: [String]?

    public init(ip: String, attempts: Int, users: [String], windowSeconds: Int, addresses: [String]? = nil) {
        self.ip = ip
        self.attempts = attempts
        self.users = users
        self.windowSeconds = windowSeconds
        self.addresses = addresses
    }
}

/// Sustained CPU load and who caused it.
public struct CPUEvidence: Codable, Sendable, Equatable {
    public var percent: Double
    public var windowSeconds: Int
    public var topProcesses: [ProcessShare]

    public init(percent: Double, windowSeconds: Int, topProcesses: [ProcessShare]) {
        self.percent = percent
        self.windowSeconds = windowSeconds
        self.topProcesses = topProcesses
    }
}

/// One process's share of the CPU over a window.
public struct ProcessShare: Codable, Sendable, Equatable {
    public var name: String
    public var pid: Int32
    public var user: String
    public var percent: Double

    public init(name: String, pid: Int32, user: String, percent: Double) {
        self.name = name
        self.pid = pid
        self.user = user
        self.percent = percent
    }
}

/// A burst of HTTP 404 answers to one client.
public struct HTTP404Evidence: Codable, Sendable, Equatable {
    /// The address, or for IPv6 counted per prefix the network in CIDR form (`2001:db8:1:2::/64`).
    public var ip: String
    public var count: Int
    public var distinctPaths: Int
    public var samplePaths: [String]
    public var windowSeconds: Int
    /// When `ip` is a prefix: the distinct addresses of it seen, capped by the agent (absent from older agents).
    public var addresses: [String]?

    public init(ip: String, count: Int, distinctPaths: Int, samplePaths: [String], windowSeconds: Int, addresses: [String]? = nil) {
        self.ip = ip
        self.count = count
        self.distinctPaths = distinctPaths
        self.samplePaths = samplePaths
        self.windowSeconds = windowSeconds
        self.addresses = addresses
    }
}

/// An agent's own health: offline, back, or a detector that went blind.
public struct AgentEvidence: Codable, Sendable, Equatable {
    public var detail: String
    public var lastSeen: Date?

    public init(detail: String, lastSeen: Date? = nil) {
        self.detail = detail
        self.lastSeen = lastSeen
    }
}

/// A new listening socket and who holds it.
public struct ListenerEvidence: Codable, Sendable, Equatable {
    /// `tcp` or `udp` (`protocol` on the wire).
    public var transport: String
    public var address: String
    public var port: Int
    /// `loopback`, `any` or `specific`.
    public var scope: String
    public var pid: Int32?
    /// `/proc/<pid>/stat` field 22 at detection, so a kill cannot hit a reused pid.
    public var pidStartTime: UInt64?
    public var user: String?
    public var process: String?
    /// The executable as the kernel names it, ` (deleted)` included.
    public var exe: String?
    /// Escaped and truncated by the agent.
    public var commandLine: String?
    public var unit: String?
    public var container: String?
    /// The Debian package owning the executable, if any.
    public var package: String?
    /// Why the alert has its severity (`its executable belongs to no package`, `reachable on every address`).
    public var reasons: [String]
    /// The identity the agent keys this listener by (what Accept takes into its baseline); nil from older agents.
    public var identity: ListenerKey?
    /// The network namespace (`net:[N]`) when it is not the host's: a container's listener.
    public var namespace: String?
    /// The host ports a DNAT rule (Docker's published ports) forwards to this listener: reachable from outside there.
    public var exposedPorts: [Int]?

    public init(
        transport: String, address: String, port: Int, scope: String, pid: Int32? = nil, pidStartTime: UInt64? = nil, user: String? = nil,
        process: String? = nil, exe: String? = nil, commandLine: String? = nil, unit: String? = nil, container: String? = nil,
        package: String? = nil, reasons: [String] = [], identity: ListenerKey? = nil, namespace: String? = nil, exposedPorts: [Int]? = nil
    ) {
        self.identity = identity
        self.namespace = namespace
        self.exposedPorts = exposedPorts
        self.transport = transport
        self.address = address
        self.port = port
        self.scope = scope
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.user = user
        self.process = process
        self.exe = exe
        self.commandLine = commandLine
        self.unit = unit
        self.container = container
        self.package = package
        self.reasons = reasons
    }

    private enum CodingKeys: String, CodingKey {
        case transport = "protocol"
        case address, port, scope, pid, pidStartTime, user, process, exe, commandLine, unit, container, package, reasons, identity, namespace
        case exposedPorts
    }
}

/// What makes two listeners the same service across restarts, as the agent keys it: sent in the evidence and back
/// in `accept_listener`, so the hub never has to know the agent's rules (ephemeral ports, generalized unit names).
public struct ListenerKey: Codable, Sendable, Hashable {
    /// `tcp` or `udp` (`protocol` on the wire).
    public var transport: String
    /// `loopback`, `any` or `specific`.
    public var scope: String
    /// Nil for a loopback port in the ephemeral range (keyed by its executable alone).
    public var port: Int?
    public var executable: String?
    /// The unit (generalized) or the container.
    public var placement: String?

    public init(transport: String, scope: String, port: Int?, executable: String?, placement: String?) {
        self.transport = transport
        self.scope = scope
        self.port = port
        self.executable = executable
        self.placement = placement
    }

    private enum CodingKeys: String, CodingKey {
        case transport = "protocol"
        case scope, port, executable, placement
    }
}

/// Security updates pending on a host, from its own apt lists: the source packages newly pending since the last
/// alert (the ones this alert is about), and the totals now pending.
public struct SecurityUpdatesEvidence: Codable, Sendable, Equatable {
    /// The newly pending source packages, most urgent first (kernel first), capped by the agent.
    public var sources: [PendingSource]
    /// Source packages pending now, new or already alerted.
    public var pendingSources: Int
    /// Binary packages pending now.
    public var pendingPackages: Int
    /// Age of the oldest security list apt has (seconds); nil when there is none.
    public var indexAgeSeconds: Int?

    public init(sources: [PendingSource], pendingSources: Int, pendingPackages: Int, indexAgeSeconds: Int?) {
        self.sources = sources
        self.pendingSources = pendingSources
        self.pendingPackages = pendingPackages
        self.indexAgeSeconds = indexAgeSeconds
    }
}

/// One source package with a security update: its installed binaries upgrade together.
public struct PendingSource: Codable, Sendable, Equatable {
    public var source: String
    /// The installed version (of its binaries; binNMU suffixes included as dpkg reports them).
    public var installed: String
    /// The newest version the security archive offers.
    public var candidate: String
    /// The installed binary packages built from it, `name` or `name:arch` for a foreign architecture.
    public var packages: [String]
    /// A binary is on hold (`apt-mark hold`): apt will not upgrade it.
    public var held: Bool
    /// A kernel: the fix takes effect only after a reboot.
    public var needsReboot: Bool
    /// `name=version` (`name:arch=version` for a foreign architecture) of every installed binary at its own candidate:
    /// what `upgrade_packages` needs (absent from older agents).
    public var pins: [String]?

    public init(
        source: String, installed: String, candidate: String, packages: [String], held: Bool, needsReboot: Bool, pins: [String]? = nil
    ) {
        self.source = source
        self.installed = installed
        self.candidate = candidate
        self.packages = packages
        self.held = held
        self.needsReboot = needsReboot
        self.pins = pins
    }
}

/// How an `upgrade_packages` command that answered `started` ended.
public struct UpgradeFinishedEvidence: Codable, Sendable, Equatable {
    /// The command that started the upgrade.
    public var commandId: UUID
    /// The alert it was chosen on, whose message shows the end (nil for a command from elsewhere).
    public var alertId: UUID?
    /// `done` (every pin installed) or `failed`.
    public var outcome: ResponseResult.Outcome
    /// `name version` of each pinned package as dpkg now has it.
    public var installed: [String]
    /// The last lines of apt's output when it failed (escaped by the hub, bounded by the agent).
    public var outputTail: String?

    public init(commandId: UUID, alertId: UUID?, outcome: ResponseResult.Outcome, installed: [String], outputTail: String? = nil) {
        self.commandId = commandId
        self.alertId = alertId
        self.outcome = outcome
        self.installed = installed
        self.outputTail = outputTail
    }
}

/// What an upgrade left behind: services running files it replaced, or a reboot the host asks for.
public struct RestartNeededEvidence: Codable, Sendable, Equatable {
    /// systemd units (`nginx.service`) whose processes still map deleted files of the upgraded packages.
    public var units: [String]
    /// `name[pid]` of such processes outside any unit, capped by the agent.
    public var processes: [String]
    /// `/var/run/reboot-required` exists.
    public var rebootRequired: Bool
    /// The packages it names (`/var/run/reboot-required.pkgs`), or the upgraded ones behind `units`.
    public var packages: [String]

    public init(units: [String], processes: [String], rebootRequired: Bool, packages: [String]) {
        self.units = units
        self.processes = processes
        self.rebootRequired = rebootRequired
        self.packages = packages
    }
}
