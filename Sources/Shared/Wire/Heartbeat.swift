import FoundationEssentials

/// An agent's periodic sign of life, with enough health detail to notice a detector that went blind.
public struct Heartbeat: Codable, Sendable, Equatable {
    public var agent: String
    public var version: String
    public var uptimeSeconds: Int
    public var sentAt: Date
    /// Alerts waiting in the agent's outbox.
    public var queueDepth: Int
    /// Alerts the outbox had to drop (info first, then warnings, criticals last) since the agent started.
    public var dropped: Int
    /// `dropped` split by severity; nil from agents older than this field (decoding stays compatible).
    public var droppedBySeverity: DroppedAlerts?
    public var detectors: [DetectorHealth]

    public init(
        agent: String, version: String, uptimeSeconds: Int, sentAt: Date, queueDepth: Int, dropped: Int,
        droppedBySeverity: DroppedAlerts? = nil, detectors: [DetectorHealth]
    ) {
        self.agent = agent
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.sentAt = sentAt
        self.queueDepth = queueDepth
        self.dropped = dropped
        self.droppedBySeverity = droppedBySeverity
        self.detectors = detectors
    }
}

/// Alerts an agent's full outbox dropped, per severity (`{"info": 3, "warning": 1, "critical": 0}` on the wire).
public struct DroppedAlerts: Codable, Sendable, Equatable {
    public var info: Int
    public var warning: Int
    public var critical: Int

    public init(info: Int = 0, warning: Int = 0, critical: Int = 0) {
        self.info = info
        self.warning = warning
        self.critical = critical
    }

    /// The count for one severity.
    public subscript(severity: Severity) -> Int {
        get {
            switch severity {
            case .info: info
            case .warning: warning
            case .critical: critical
            }
        }
        set {
            switch severity {
            case .info: info = newValue
            case .warning: warning = newValue
            case .critical: critical = newValue
            }
        }
    }

    public var total: Int { info + warning + critical }
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
