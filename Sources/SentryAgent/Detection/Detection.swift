import Shared

/// What a detector concluded, before the agent turns it into a wire `Alert` (id, agent, hostname, offered actions).
///
/// Times are Unix seconds taken from the log lines themselves where they have them, so a replay of the same file
/// always yields the same detections.
struct Detection: Sendable, Equatable {
    var kind: AlertKind
    var severity: Severity
    var subject: AlertSubject
    /// When the detector concluded (the time of the line or sample that tipped it).
    var observedAt: Int64
    /// The first event counted in this detection (a window's oldest 404, a bucket's first failure).
    var firstSeen: Int64
    /// The last event counted.
    var lastSeen: Int64
    /// The line that tipped it, so the alert id is the same if the line is read again after a crash.
    var origin: LineOrigin?
}
