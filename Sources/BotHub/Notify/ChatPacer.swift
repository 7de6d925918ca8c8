import Foundation

/// Per-chat flow control: Telegram's limits (about 1 message a second to a private chat, 20 a minute to a group),
/// `retry_after` from a 429 honoured exactly, and exponential backoff after server or network errors. Pure and
/// clock-driven: one chat waiting never holds up another.
struct ChatPacer: Sendable {
    struct Rates: Sendable {
        var privatePerSecond: Int
        var groupPerMinute: Int
    }

    private struct ChatState {
        var sent: [Date] = []
        var blockedUntil: Date = .distantPast
        var failures = 0
    }

    let rates: Rates
    private var states: [Int64: ChatState] = [:]

    init(rates: Rates) {
        self.rates = rates
    }

    /// Group and channel ids are negative; private chats positive.
    private func window(for chatID: Int64) -> (limit: Int, span: TimeInterval) {
        chatID < 0 ? (rates.groupPerMinute, 60) : (rates.privatePerSecond, 1)
    }

    /// When the next message to `chatID` may go (now or later).
    func nextSlot(for chatID: Int64, now: Date) -> Date {
        guard let state = states[chatID] else { return now }
        let (limit, span) = window(for: chatID)
        let recent = state.sent.filter { now.timeIntervalSince($0) < span }
        var slot = max(now, state.blockedUntil)
        if recent.count >= limit, let oldest = recent.first {
            slot = max(slot, oldest.addingTimeInterval(span))
        }
        return slot
    }

    mutating func recordSent(to chatID: Int64, at now: Date) {
        var state = states[chatID, default: ChatState()]
        let span = window(for: chatID).span
        state.sent = state.sent.filter { now.timeIntervalSince($0) < span } + [now]
        state.failures = 0
        states[chatID] = state
    }

    /// A 429: the chat waits exactly `retryAfter` seconds.
    mutating func recordRateLimited(_ chatID: Int64, retryAfter: Int, at now: Date) {
        states[chatID, default: ChatState()].blockedUntil = now.addingTimeInterval(TimeInterval(retryAfter))
    }

    /// A 5xx or network error: 1 s, 2 s, 4 s … up to 60 s.
    mutating func recordTransientFailure(_ chatID: Int64, at now: Date) {
        var state = states[chatID, default: ChatState()]
        state.failures += 1
        state.blockedUntil = now.addingTimeInterval(min(60, pow(2, Double(state.failures - 1))))
        states[chatID] = state
    }
}
