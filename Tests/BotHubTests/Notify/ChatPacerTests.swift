import Foundation
import Testing

@testable import BotHub

/// Per-chat flow control, driven by hand-set times: Telegram's rates, a 429's `retry_after` to the second, backoff
/// after transient failures, and one chat's wait never holding up another.
@Suite("Chat pacer")
struct ChatPacerTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let privateChat: Int64 = 42
    static let group: Int64 = -1001

    static func pacer() -> ChatPacer {
        ChatPacer(rates: ChatPacer.Rates(privatePerSecond: 1, groupPerMinute: 20))
    }

    @Test("a chat nothing was sent to may be sent to now")
    func firstMessageGoesNow() {
        #expect(Self.pacer().nextSlot(for: Self.privateChat, now: Self.start) == Self.start)
        #expect(Self.pacer().nextSlot(for: Self.group, now: Self.start) == Self.start)
    }

    @Test("a private chat gets one message a second: the next waits for the second to pass")
    func privateChatOnePerSecond() {
        var pacer = Self.pacer()
        pacer.recordSent(to: Self.privateChat, at: Self.start)
        #expect(pacer.nextSlot(for: Self.privateChat, now: Self.start.addingTimeInterval(0.3)) == Self.start.addingTimeInterval(1))
        #expect(pacer.nextSlot(for: Self.privateChat, now: Self.start.addingTimeInterval(1)) == Self.start.addingTimeInterval(1))
    }

    @Test("a group gets 20 messages a minute: the 21st waits until the first leaves the window")
    func groupTwentyPerMinute() {
        var pacer = Self.pacer()
        for second in 0..<20 { pacer.recordSent(to: Self.group, at: Self.start.addingTimeInterval(TimeInterval(second))) }
        let now = Self.start.addingTimeInterval(20)
        #expect(pacer.nextSlot(for: Self.group, now: now) == Self.start.addingTimeInterval(60))
        // Once the first send is older than a minute, there is room again.
        #expect(pacer.nextSlot(for: Self.group, now: Self.start.addingTimeInterval(60.5)) == Self.start.addingTimeInterval(60.5))
    }

    @Test("a group under its limit is not slowed by the private-chat rate")
    func groupUnderLimitGoesNow() {
        var pacer = Self.pacer()
        for second in 0..<5 { pacer.recordSent(to: Self.group, at: Self.start.addingTimeInterval(TimeInterval(second) / 10)) }
        let now = Self.start.addingTimeInterval(0.5)
        #expect(pacer.nextSlot(for: Self.group, now: now) == now)
    }

    @Test("a 429 is honoured to the second it names, and only for its chat")
    func retryAfterExactly() {
        var pacer = Self.pacer()
        pacer.recordRateLimited(Self.group, retryAfter: 37, at: Self.start)
        #expect(pacer.nextSlot(for: Self.group, now: Self.start) == Self.start.addingTimeInterval(37))
        #expect(pacer.nextSlot(for: Self.group, now: Self.start.addingTimeInterval(36.9)) == Self.start.addingTimeInterval(37))
        #expect(pacer.nextSlot(for: Self.group, now: Self.start.addingTimeInterval(37)) == Self.start.addingTimeInterval(37))
        #expect(pacer.nextSlot(for: Self.privateChat, now: Self.start) == Self.start, "another chat does not wait")
    }

    @Test("transient failures back off 1, 2, 4 … seconds, capped at 60, and a success resets the backoff")
    func transientBackoff() {
        var pacer = Self.pacer()
        var waits: [TimeInterval] = []
        for _ in 0..<8 {
            pacer.recordTransientFailure(Self.privateChat, at: Self.start)
            waits.append(pacer.nextSlot(for: Self.privateChat, now: Self.start).timeIntervalSince(Self.start))
        }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60])

        pacer.recordSent(to: Self.privateChat, at: Self.start.addingTimeInterval(100))
        pacer.recordTransientFailure(Self.privateChat, at: Self.start.addingTimeInterval(200))
        #expect(pacer.nextSlot(for: Self.privateChat, now: Self.start.addingTimeInterval(200)) == Self.start.addingTimeInterval(201))
    }
}
