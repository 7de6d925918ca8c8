import Dispatch
import Logging
import Shared

/// Where a log consumer hands the detections of a batch, before its position is saved.
protocol DetectionOutlet: Sendable {
    /// Takes `detections` and returns once they are durable (or printed): the caller saves its position next.
    func deliver(_ detections: [Detection])
}

/// The agent's outlet: alerts into the `AlertSink` (the on-disk outbox), waited for on the follower's own thread.
///
/// Blocking is right here: a follower thread is a plain thread, not one of Swift's cooperative threads, and its
/// position must not be saved before the alerts of the batch are durable.
struct AlertSinkOutlet: DetectionOutlet {
    let factory: AlertFactory
    let sink: any AlertSink
    /// Called with each alert before it is submitted (logging, tests, latency probes).
    var observe: (@Sendable (Alert) -> Void)?

    func deliver(_ detections: [Detection]) {
        guard !detections.isEmpty else { return }
        let alerts = detections.map(factory.alert(for:))
        if let observe { alerts.forEach(observe) }
        let done = DispatchSemaphore(value: 0)
        let sink = sink
        Task {
            for alert in alerts { await sink.submit(alert) }
            done.signal()
        }
        done.wait()
    }
}
