import FoundationEssentials

/// What the operator chose, sealed by the hub and executed by the agent at most once.
public struct ResponseCommand: Codable, Sendable, Equatable, Identifiable {
    /// The idempotency key: the agent runs a command id once and answers repeats with `already_done`.
    public var id: UUID
    /// The alert the choice answers; nil for commands from chat (`/unblock`).
    public var alertId: UUID?
    public var action: ResponseAction
    public var requestedBy: Operator
    public var issuedAt: Date
    /// The agent refuses the command after this instant.
    public var expiresAt: Date

    public init(id: UUID = UUID(), alertId: UUID?, action: ResponseAction, requestedBy: Operator, issuedAt: Date, expiresAt: Date) {
        self.id = id
        self.alertId = alertId
        self.action = action
        self.requestedBy = requestedBy
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }
}

/// The person who chose a response.
public struct Operator: Codable, Sendable, Equatable {
    public var telegramUserId: Int64
    public var name: String

    public init(telegramUserId: Int64, name: String) {
        self.telegramUserId = telegramUserId
        self.name = name
    }
}

/// A response an agent can execute. Encoded with a `type` discriminator.
public enum ResponseAction: Codable, Sendable, Equatable {
    /// Block `ip`; nil duration means permanent.
    case blockIP(ip: String, durationSeconds: Int?)
    case unblockIP(ip: String)
    /// Kill the session process, if it is still the one that was detected.
    case killSession(pid: Int32, startTime: UInt64)
    case reboot
    case shutdown
    /// Upgrade exactly these `name=version` pins (every installed binary of the chosen source packages), if apt's
    /// simulation still gives the plan whose hash is `planHash`; with `simulate` only answer the plan, run nothing.
    case upgradePackages(pins: [String], planHash: String?, simulate: Bool)
    /// Simulate only: upgrade every installed binary of these source packages to apt's candidate, refused when a
    /// candidate is older than the source's fixed version. The answer's plan gives the exact pins (`package=candidate`)
    /// and hash that a following `upgradePackages` carries (the hub's fleet view knows the fixed version, not the
    /// host's candidate).
    case planUpgrade(sources: [UpgradeFloor])
    /// `systemctl restart` these units (plain unit names, after an upgrade left them on deleted libraries).
    case restartServices(units: [String])
    /// Take a listener's identity into the agent's accepted baseline.
    case acceptListener(ListenerKey)
    /// End a listener's process, if it is still the one that was detected (any program, unlike `killSession`);
    /// `listener` is forgotten once it ends, so the agent alerts again if it comes back.
    case killProcess(pid: Int32, startTime: UInt64, listener: ListenerKey?)
    /// `systemctl stop` the unit, and `systemctl disable` it when `disable`; `listener` as for `killProcess`.
    case stopService(unit: String, disable: Bool, listener: ListenerKey?)
    /// Drop `transport` (`tcp`/`udp`) traffic to `port` from everywhere but loopback and `responses.never_block`.
    case blockPort(transport: String, port: Int)
    case unblockPort(transport: String, port: Int)
    /// An identity change taken as it is: refused unless `path` still has the content `sha256` (nil: still absent);
    /// the copy kept from before the change is discarded, so a later Revert cannot undo it.
    case acceptChange(path: String, sha256: String?)
    /// Restore `path` to its kept content `sha256Before`, only while its content is still `sha256` (the alert's).
    case revertFile(path: String, sha256: String, sha256Before: String)
    /// Remove the lines of the authorized_keys file `path` that hold the key with `fingerprint` (`SHA256:…`).
    case removeKey(path: String, fingerprint: String)
    /// `usermod -L -e 1 user` and end the user's sessions (never root).
    case lockUser(user: String)
    /// Take `user` out of `group` (`gpasswd -d`).
    case removeFromGroup(user: String, group: String)
    /// End the process that wrote an identity change, if it is still the one that started at `startTime`.
    case killWriter(pid: Int32, startTime: UInt64)

    private enum CodingKeys: String, CodingKey {
        case type, ip, durationSeconds, pid, startTime, listener, unit, disable, port, pins, planHash, simulate, units, sources
        case path, sha256, sha256Before, fingerprint, user, group
        case transport = "protocol"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "block_ip":
            self = .blockIP(
                ip: try container.decode(String.self, forKey: .ip),
                durationSeconds: try container.decodeIfPresent(Int.self, forKey: .durationSeconds)
            )
        case "unblock_ip": self = .unblockIP(ip: try container.decode(String.self, forKey: .ip))
        case "kill_session":
            self = .killSession(pid: try container.decode(Int32.self, forKey: .pid), startTime: try container.decode(UInt64.self, forKey: .startTime))
        case "reboot": self = .reboot
        case "shutdown": self = .shutdown
        case "upgrade_packages":
            self = .upgradePackages(
                pins: try container.decode([String].self, forKey: .pins),
                planHash: try container.decodeIfPresent(String.self, forKey: .planHash),
                simulate: try container.decodeIfPresent(Bool.self, forKey: .simulate) ?? false
            )
        case "restart_services": self = .restartServices(units: try container.decode([String].self, forKey: .units))
        case "plan_upgrade": self = .planUpgrade(sources: try container.decode([UpgradeFloor].self, forKey: .sources))
        case "accept_listener": self = .acceptListener(try container.decode(ListenerKey.self, forKey: .listener))
        case "kill_process":
            self = .killProcess(
                pid: try container.decode(Int32.self, forKey: .pid), startTime: try container.decode(UInt64.self, forKey: .startTime),
                listener: try container.decodeIfPresent(ListenerKey.self, forKey: .listener))
        case "stop_service":
            self = .stopService(
                unit: try container.decode(String.self, forKey: .unit), disable: try container.decode(Bool.self, forKey: .disable),
                listener: try container.decodeIfPresent(ListenerKey.self, forKey: .listener))
        case "block_port":
            self = .blockPort(transport: try container.decode(String.self, forKey: .transport), port: try container.decode(Int.self, forKey: .port))
        case "unblock_port":
            self = .unblockPort(transport: try container.decode(String.self, forKey: .transport), port: try container.decode(Int.self, forKey: .port))
        case "accept_change":
            self = .acceptChange(
                path: try container.decode(String.self, forKey: .path), sha256: try container.decodeIfPresent(String.self, forKey: .sha256))
        case "revert_file":
            self = .revertFile(
                path: try container.decode(String.self, forKey: .path), sha256: try container.decode(String.self, forKey: .sha256),
                sha256Before: try container.decode(String.self, forKey: .sha256Before))
        case "remove_key":
            self = .removeKey(
                path: try container.decode(String.self, forKey: .path), fingerprint: try container.decode(String.self, forKey: .fingerprint))
        case "lock_user": self = .lockUser(user: try container.decode(String.self, forKey: .user))
        case "remove_from_group":
            self = .removeFromGroup(user: try container.decode(String.self, forKey: .user), group: try container.decode(String.self, forKey: .group))
        case "kill_writer":
            self = .killWriter(pid: try container.decode(Int32.self, forKey: .pid), startTime: try container.decode(UInt64.self, forKey: .startTime))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown action \(other)")
        }
    }

    /// The action's wire name (its `type`): the one spelling in JSON, the audit trail, logs and refusals.
    public var name: String {
        switch self {
        case .blockIP: "block_ip"
        case .unblockIP: "unblock_ip"
        case .killSession: "kill_session"
        case .reboot: "reboot"
        case .shutdown: "shutdown"
        case .acceptListener: "accept_listener"
        case .killProcess: "kill_process"
        case .stopService: "stop_service"
        case .blockPort: "block_port"
        case .unblockPort: "unblock_port"
        case .upgradePackages: "upgrade_packages"
        case .restartServices: "restart_services"
        case .acceptChange: "accept_change"
        case .revertFile: "revert_file"
        case .removeKey: "remove_key"
        case .lockUser: "lock_user"
        case .removeFromGroup: "remove_from_group"
        case .killWriter: "kill_writer"
        case .planUpgrade: "plan_upgrade"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .type)
        switch self {
        case .blockIP(let ip, let duration):
            try container.encode(ip, forKey: .ip)
            try container.encodeIfPresent(duration, forKey: .durationSeconds)
        case .unblockIP(let ip):
            try container.encode(ip, forKey: .ip)
        case .killSession(let pid, let startTime), .killWriter(let pid, let startTime):
            try container.encode(pid, forKey: .pid)
            try container.encode(startTime, forKey: .startTime)
        case .reboot, .shutdown: break
        case .upgradePackages(let pins, let planHash, let simulate):
            try container.encode(pins, forKey: .pins)
            try container.encodeIfPresent(planHash, forKey: .planHash)
            if simulate { try container.encode(true, forKey: .simulate) }
        case .restartServices(let units):
            try container.encode(units, forKey: .units)
        case .planUpgrade(let sources):
            try container.encode(sources, forKey: .sources)
        case .acceptListener(let key):
            try container.encode(key, forKey: .listener)
        case .killProcess(let pid, let startTime, let listener):
            try container.encode(pid, forKey: .pid)
            try container.encode(startTime, forKey: .startTime)
            try container.encodeIfPresent(listener, forKey: .listener)
        case .stopService(let unit, let disable, let listener):
            try container.encode(unit, forKey: .unit)
            try container.encode(disable, forKey: .disable)
            try container.encodeIfPresent(listener, forKey: .listener)
        case .blockPort(let transport, let port), .unblockPort(let transport, let port):
            try container.encode(transport, forKey: .transport)
            try container.encode(port, forKey: .port)
        case .acceptChange(let path, let sha256):
            try container.encode(path, forKey: .path)
            try container.encodeIfPresent(sha256, forKey: .sha256)
        case .revertFile(let path, let sha256, let sha256Before):
            try container.encode(path, forKey: .path)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(sha256Before, forKey: .sha256Before)
        case .removeKey(let path, let fingerprint):
            try container.encode(path, forKey: .path)
            try container.encode(fingerprint, forKey: .fingerprint)
        case .lockUser(let user):
            try container.encode(user, forKey: .user)
        case .removeFromGroup(let user, let group):
            try container.encode(user, forKey: .user)
            try container.encode(group, forKey: .group)
        }
    }
}

/// A source package to upgrade and the version its upgrade must reach at least (the feed's fixed version).
public struct UpgradeFloor: Codable, Sendable, Equatable, Hashable {
    public var source: String
    public var fixed: String

    public init(source: String, fixed: String) {
        self.source = source
        self.fixed = fixed
    }
}
