import Shared

/// Where detectors hand their alerts. The agent's sink is the on-disk outbox; tests use a recording sink.
protocol AlertSink: Sendable {
    /// Accepts `alert` for delivery. Returns once the alert is durable (on disk), not when the hub has it.
    func submit(_ alert: Alert) async
}
