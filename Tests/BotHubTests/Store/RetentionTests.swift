import Foundation
import Logging
import Shared
import Testing

@testable import BotHub

/// The hub's database stays bounded: what is older than `hub.retention` goes, what is newer or still in hand stays.
@Suite("Retention")
struct RetentionTests {
    static let day: TimeInterval = 86_400

    static func alert(ip: String) -> Alert {
        Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .sshBruteForce,
            severity: .warning,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .sshBruteForce(SSHBruteForceEvidence(ip: ip, attempts: 6, users: ["root"], windowSeconds: 60)),
            actions: [.blockIP1h]
        )
    }

    @Test("rows older than the retention are pruned, newer ones and alerts still being handled are kept")
    func prunesOldRows() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = try HubStore.inMemory()
        let old = Self.alert(ip: "192.0.2.1")
        let oldHandling = Self.alert(ip: "192.0.2.2")
        _ = try store.recordAlert(old, chats: [-1], now: clock.now)
        _ = try store.recordAlert(oldHandling, chats: [-1], now: clock.now)
        #expect(try await store.claimAlert(id: oldHandling.id.uuidString, choice: "kill_session", by: "@bob", now: clock.now) == .claimed)
        try await store.audit("press", actor: "@bob", alertID: nil, detail: "old", at: clock.now)
        _ = try await store.takeUpdate(1, now: clock.now)

        clock.advance(by: 89 * Self.day)
        let recent = Self.alert(ip: "192.0.2.3")
        _ = try store.recordAlert(recent, chats: [-1], now: clock.now)
        try await store.audit("press", actor: "@bob", alertID: nil, detail: "recent", at: clock.now)

        clock.advance(by: 2 * Self.day)  // the first rows are now 91 days old, the recent ones 2
        let pruner = RetentionPruner(store: store, retention: 90 * Self.day, logger: Logger(label: "test"), now: { clock.now })
        let counts = try #require(await pruner.pruneOnce())

        #expect(counts.alerts == 1)
        #expect(counts.messages == 1)
        #expect(counts.auditEntries == 3, "both old alerts' rows and the old press")
        #expect(counts.processedUpdates == 1)
        #expect(try await store.alert(id: old.id.uuidString) == nil)
        #expect(try await store.alert(id: oldHandling.id.uuidString)?.status == .handling, "a choice in flight is never pruned")
        #expect(try await store.alert(id: recent.id.uuidString) != nil)
        #expect(try store.auditEntries(since: .distantPast).map(\.detail).contains("recent"))
        #expect(!(try store.auditEntries(since: .distantPast).map(\.detail).contains("old")))
        #expect(try await store.pendingMessages().map(\.alert.id).sorted() == [oldHandling.id.uuidString, recent.id.uuidString].sorted())

        // A second run finds nothing more to do.
        #expect(await pruner.pruneOnce() == PruneCounts())
    }

    @Test("digests whose alerts were pruned go with them")
    func prunesDigests() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = try HubStore.inMemory()
        let alert = Self.alert(ip: "192.0.2.9")
        _ = try store.recordAlert(alert, chats: [-1], now: clock.now)
        let stored = try #require(try await store.alert(id: alert.id.uuidString))
        try await store.fold(alert: stored, chatID: -1, window: 60, now: clock.now)
        clock.advance(by: 91 * Self.day)
        let counts = try await store.prune(before: clock.now.addingTimeInterval(-90 * Self.day))
        #expect(counts.digests == 1)
        #expect(try await store.dirtyDigests().isEmpty)
    }

    @Test("hub.retention is configurable, and zero, negative or nonsense is refused naming the field")
    func configuration() throws {
        let base = "telegram: {chats: []}\nagents: []\n"
        #expect(try HubConfiguration.parse(yaml: base, environment: [:]).retention == .seconds(90 * 86_400))
        #expect(try HubConfiguration.parse(yaml: "hub: {retention: 30d}\n" + base, environment: [:]).retention == .seconds(30 * 86_400))
        for bad in ["0s", "0d", "-5d", "soon", "1h"] {
            do {
                _ = try HubConfiguration.parse(yaml: "hub: {retention: \(bad)}\n" + base, environment: [:])
                Issue.record("accepted hub.retention: \(bad)")
            } catch let error as ConfigError {
                #expect(error.problems.map(\.field) == ["hub.retention"], "\(bad)")
            }
        }
    }

    @Test("telegram.max_mute and telegram.stranger_replies_per_minute are read, and nonsense is refused naming the field")
    func telegramLimits() throws {
        let parsed = try HubConfiguration.parse(yaml: "telegram: {chats: [], max_mute: 2h, stranger_replies_per_minute: 5}\n", environment: [:])
        #expect(parsed.telegram.maxMute == .seconds(7200))
        #expect(parsed.telegram.strangerRepliesPerMinute == 5)
        #expect(try HubConfiguration.parse(yaml: "telegram: {chats: []}\n", environment: [:]).telegram.maxMute == .seconds(86_400))
        for (field, bad) in [("max_mute", "0s"), ("max_mute", "-1h"), ("stranger_replies_per_minute", "-1")] {
            do {
                _ = try HubConfiguration.parse(yaml: "telegram: {chats: [], \(field): \(bad)}\n", environment: [:])
                Issue.record("accepted telegram.\(field): \(bad)")
            } catch let error as ConfigError {
                #expect(error.problems.map(\.field) == ["telegram.\(field)"], "\(bad)")
            }
        }
    }
}
