import Foundation

/// An agent's periodic sign of life, with enough health detail to notice a detector that went blind.
public struct Heartbeat: Codable, Sendable, Equatable {
    public var agent: String
    public var version: String
    public var uptimeSeconds: Int
    public var sentAt: Date
    /// Alerts waiting in the agent's outbox.
    public var queueDepth: Int
    /// Alerts the outbox had to drop (oldest info first) since the agent started.
    public var dropped: Int
    public var detectors: [DetectorHealth]

    public init(agent: String, version: String, uptimeSeconds: Int, sentAt: Date, queueDepth: Int, dropped: Int, detectors: [DetectorHealth]) {
        self.agent = agent
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.sentAt = sentAt
        self.queueDepth = queueDepth
        self.dropped = dropped
        self.detectors = detectors
    }
}

/// One detector's input health.
public struct DetectorHealth: Codable, Sendable, Equatable {
    public var name: String
    /// Lines read since the agent started, where the detector counts them.
    public var linesRead: Int?
    public var lastLineAt: Date?
    /// Nil while healthy; otherwise why the detector cannot see its input.
    public var problem: String?

    public init(name: String, linesRead: Int?, lastLineAt: Date?, problem: String?) {
        self.name = name
        self.linesRead = linesRead
        self.lastLineAt = lastLineAt
        self.problem = problem
    }
}
