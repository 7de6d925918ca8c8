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
    /// `systemctl restart` these units (plain unit names, after an upgrade left them on deleted libraries).
    case restartServices(units: [String])

    private enum CodingKeys: String, CodingKey { case type, ip, durationSeconds, pid, startTime, pins, planHash, simulate, units }

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
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown action \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .blockIP(let ip, let duration):
            try container.encode("block_ip", forKey: .type)
            try container.encode(ip, forKey: .ip)
            try container.encodeIfPresent(duration, forKey: .durationSeconds)
        case .unblockIP(let ip):
            try container.encode("unblock_ip", forKey: .type)
            try container.encode(ip, forKey: .ip)
        case .killSession(let pid, let startTime):
            try container.encode("kill_session", forKey: .type)
            try container.encode(pid, forKey: .pid)
            try container.encode(startTime, forKey: .startTime)
        case .reboot: try container.encode("reboot", forKey: .type)
        case .shutdown: try container.encode("shutdown", forKey: .type)
        case .upgradePackages(let pins, let planHash, let simulate):
            try container.encode("upgrade_packages", forKey: .type)
            try container.encode(pins, forKey: .pins)
            try container.encodeIfPresent(planHash, forKey: .planHash)
            if simulate { try container.encode(true, forKey: .simulate) }
        case .restartServices(let units):
            try container.encode("restart_services", forKey: .type)
            try container.encode(units, forKey: .units)
        }
    }
}
