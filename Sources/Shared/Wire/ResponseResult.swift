import Foundation

/// What became of a command, sealed back to the hub and shown in the Telegram message.
public struct ResponseResult: Codable, Sendable, Equatable {
    public var commandId: UUID
    public var outcome: Outcome
    /// What was done, e.g. the nft element added and its expiry.
    public var detail: String?
    public var finishedAt: Date

    public init(commandId: UUID, outcome: Outcome, detail: String? = nil, finishedAt: Date) {
        self.commandId = commandId
        self.outcome = outcome
        self.detail = detail
        self.finishedAt = finishedAt
    }

    /// Encoded as `{"status": "...", "reason": "..."}`.
    public enum Outcome: Codable, Sendable, Equatable {
        case done
        case alreadyDone
        case refused(reason: String)
        case failed(reason: String)

        private enum CodingKeys: String, CodingKey { case status, reason }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .status) {
            case "done": self = .done
            case "already_done": self = .alreadyDone
            case "refused": self = .refused(reason: try container.decode(String.self, forKey: .reason))
            case "failed": self = .failed(reason: try container.decode(String.self, forKey: .reason))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "unknown outcome \(other)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .done: try container.encode("done", forKey: .status)
            case .alreadyDone: try container.encode("already_done", forKey: .status)
            case .refused(let reason):
                try container.encode("refused", forKey: .status)
                try container.encode(reason, forKey: .reason)
            case .failed(let reason):
                try container.encode("failed", forKey: .status)
                try container.encode(reason, forKey: .reason)
            }
        }
    }
}

/// The hub's sealed answer to `/alert`.
public struct AlertReceipt: Codable, Sendable, Equatable {
    public var alertId: UUID
    /// True when the hub already had this alert (the agent retried); it is not shown twice.
    public var duplicate: Bool

    public init(alertId: UUID, duplicate: Bool) {
        self.alertId = alertId
        self.duplicate = duplicate
    }
}
