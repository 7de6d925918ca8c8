import Foundation
import Logging
import Synchronization

/// Records whether Telegram answers, so `bothub status` (another process) can say so: written when the state
/// changes and at most once a minute while it holds, never once per call.
final class ReachabilityRecorder: Sendable {
    private let store: HubStore
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let last = Mutex<TelegramReachability?>(nil)
    /// How often an unchanged state refreshes its `lastCallAt`.
    static let refresh: TimeInterval = 60

    init(store: HubStore, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.logger = logger
        self.now = now
    }

    /// A call succeeded, or failed with `error`. An answer from Telegram (even a 400 or 403) proves it is reachable;
    /// a network error, a 5xx, or a refused token does not.
    func record(_ error: TelegramError?) {
        let reachable = error.map { $0.code >= 400 && $0.code < 500 && $0.code != 401 && $0.code != 404 } ?? true
        let at = now()
        let update = last.withLock { state -> TelegramReachability? in
            if let current = state, current.reachable == reachable, at.timeIntervalSince(current.lastCallAt) < Self.refresh { return nil }
            let since = state.flatMap { $0.reachable == reachable ? $0.since : nil } ?? at
            let next = TelegramReachability(reachable: reachable, since: since, lastCallAt: at, error: reachable ? nil : error?.description)
            state = next
            return next
        }
        guard let update else { return }
        do {
            try store.saveTelegramReachability(update)
        } catch {
            logger.warning("cannot record Telegram reachability", metadata: ["error": "\(error)"])
        }
    }
}
