import FoundationEssentials

/// What became of a command, sealed back to the hub and shown in the Telegram message.
public struct ResponseResult: Codable, Sendable, Equatable {
    public var commandId: UUID
    public var outcome: Outcome
    /// What was done, e.g. the nft element added and its expiry.
    public var detail: String?
    public var finishedAt: Date
    /// The simulated plan of an `upgrade_packages` command (absent for every other action).
    public var plan: UpgradePlan?

    public init(commandId: UUID, outcome: Outcome, detail: String? = nil, finishedAt: Date, plan: UpgradePlan? = nil) {
        self.commandId = commandId
        self.outcome = outcome
        self.detail = detail
        self.finishedAt = finishedAt
        self.plan = plan
    }

    /// Encoded as `{"status": "...", "reason": "..."}`.
    public enum Outcome: Codable, Sendable, Equatable {
        case done
        case alreadyDone
        /// Running in the background (an upgrade): the end comes later as an `upgrade_finished` alert.
        case started
        case refused(reason: String)
        case failed(reason: String)

        private enum CodingKeys: String, CodingKey { case status, reason }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(String.self, forKey: .status) {
            case "done": self = .done
            case "already_done": self = .alreadyDone
            case "started": self = .started
            case "refused": self = .refused(reason: try container.decode(String.self, forKey: .reason))
            case "failed": self = .failed(reason: try container.decode(String.self, forKey: .reason))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "unknown outcome \(other)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .status)
            switch self {
            case .done, .alreadyDone, .started: break
            case .refused(let reason), .failed(let reason): try container.encode(reason, forKey: .reason)
            }
        }
    }
}

extension ResponseResult.Outcome {
    /// Whether the action is in place now (done by this command or before it).
    public var succeeded: Bool { self == .done || self == .alreadyDone }

    /// The outcome's wire name: the one spelling used in logs, metrics and the terminal.
    public var name: String {
        switch self {
        case .done: "done"
        case .alreadyDone: "already_done"
        case .started: "started"
        case .refused: "refused"
        case .failed: "failed"
        }
    }
}
