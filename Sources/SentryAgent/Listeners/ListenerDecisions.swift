import Synchronization

/// Carries the responses' decisions (Accept, and forgetting what was killed) to the listeners detector, and is the
/// one writer of the baseline file.
///
/// The responder and the detector's loop run on different tasks and both change the file; every write goes through
/// this lock, and a decision is written to the file when it is made (so Accept is durable when it answers `done`,
/// even if the detector is off) and queued for the detector, which applies the queue before each poll. A save by the
/// detector re-applies decisions queued since its last drain, so it never writes one away.
final class ListenerDecisions: Sendable {
    let store: ListenerBaselineStore
    private let pending = Mutex<[ListenerDecision]>([])

    init(store: ListenerBaselineStore) {
        self.store = store
    }

    /// Applies `decision` to the stored baseline and queues it for the detector; false (and nothing written) when
    /// the detector has formed no baseline yet, which a file holding only this decision would stop it from forming.
    func record(_ decision: ListenerDecision) throws -> Bool {
        try pending.withLock { queue in
            guard var baseline = try store.load() else { return false }
            baseline.apply(decision)
            try store.save(baseline)
            queue.append(decision)
            return true
        }
    }

    /// The decisions made since the last call, oldest first.
    func drain() -> [ListenerDecision] {
        pending.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }

    /// Saves the detector's baseline, with the decisions it has not drained yet applied on top.
    func save(_ baseline: ListenerBaseline) throws {
        try pending.withLock { queue in
            var baseline = baseline
            for decision in queue { baseline.apply(decision) }
            try store.save(baseline)
        }
    }
}
