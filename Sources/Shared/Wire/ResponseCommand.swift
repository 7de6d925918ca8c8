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

    private enum CodingKeys: String, CodingKey { case type, ip, durationSeconds, pid, startTime }

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
        case .killSession(let pid, let startTime):
            try container.encode(pid, forKey: .pid)
            try container.encode(startTime, forKey: .startTime)
        case .reboot, .shutdown: break
        }
    }
}
