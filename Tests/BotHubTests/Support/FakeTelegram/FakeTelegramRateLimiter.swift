import Foundation

/// Telegram's per-chat flood limits as the fake applies them: at most one message per second in a private chat
/// (positive id) and 20 per minute in a group (negative id). Keeps the time of every accepted message, so tests can
/// also check a client that was never refused.
struct FakeTelegramRateLimiter: Sendable {
    /// Two messages that came too close.
    struct Violation: Sendable, Equatable, CustomStringConvertible {
        var chatID: Int64
        var time: Date
        var description: String
    }

    var privateChatInterval: Duration
    var groupMessagesPerMinute: Int
    /// Slack for timing jitter between a client's clock and the fake's.
    var tolerance: Duration
    private(set) var sendTimes: [Int64: [Date]] = [:]

    init(privateChatInterval: Duration, groupMessagesPerMinute: Int, tolerance: Duration) {
        self.privateChatInterval = privateChatInterval
        self.groupMessagesPerMinute = groupMessagesPerMinute
        self.tolerance = tolerance
    }

    /// Seconds to wait before a message to `chatID` is accepted at `now`, or nil if it may go now.
    func retryAfter(chatID: Int64, now: Date) -> Int? {
        let times = sendTimes[chatID] ?? []
        if chatID > 0 {
            guard let last = times.last else { return nil }
            let elapsed = now.timeIntervalSince(last)
            guard elapsed < Self.seconds(privateChatInterval - tolerance) else { return nil }
            return Self.wholeSeconds(Self.seconds(privateChatInterval) - elapsed)
        }
        guard times.count >= groupMessagesPerMinute, groupMessagesPerMinute > 0 else { return nil }
        let oldestInWindow = times[times.count - groupMessagesPerMinute]
        let elapsed = now.timeIntervalSince(oldestInWindow)
        guard elapsed < Self.seconds(.seconds(60) - tolerance) else { return nil }
        return Self.wholeSeconds(60 - elapsed)
    }

    mutating func record(chatID: Int64, at time: Date) {
        sendTimes[chatID, default: []].append(time)
    }

    /// Every accepted message that broke the limits (whether or not they were enforced).
    func violations() -> [Violation] {
        var found: [Violation] = []
        for (chatID, times) in sendTimes.sorted(by: { $0.key < $1.key }) {
            if chatID > 0 {
                for (previous, time) in zip(times, times.dropFirst())
                where time.timeIntervalSince(previous) < Self.seconds(privateChatInterval - tolerance) {
                    let gap = String(format: "%.3f", time.timeIntervalSince(previous))
                    found.append(Violation(chatID: chatID, time: time, description: "chat \(chatID): two messages \(gap) s apart"))
                }
            } else if groupMessagesPerMinute > 0 {
                for index in times.indices.dropFirst(groupMessagesPerMinute) {
                    let span = times[index].timeIntervalSince(times[index - groupMessagesPerMinute])
                    if span < Self.seconds(.seconds(60) - tolerance) {
                        let window = String(format: "%.3f", span)
                        found.append(
                            Violation(
                                chatID: chatID, time: times[index],
                                description: "chat \(chatID): \(groupMessagesPerMinute + 1) messages within \(window) s"))
                    }
                }
            }
        }
        return found
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    private static func wholeSeconds(_ interval: TimeInterval) -> Int {
        max(1, Int(interval.rounded(.up)))
    }
}
