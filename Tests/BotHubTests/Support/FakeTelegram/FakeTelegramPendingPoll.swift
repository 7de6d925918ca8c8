/// A `getUpdates` long poll waiting for an update, its timeout, a newer poll or cancellation.
struct FakeTelegramPendingPoll: Sendable {
    enum Outcome: Sendable {
        /// An update arrived.
        case ready
        case timedOut
        /// A newer `getUpdates` took over (Telegram answers the older one 409).
        case superseded
        case cancelled
    }

    var id: Int
    var continuation: CheckedContinuation<Outcome, Never>
    var timer: Task<Void, Never>
}
