import Dispatch
import Foundation
import GRDB
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import BotHub

/// A press waits for SQLite (another connection's write lock, the commit's fsync) without holding a thread of the
/// cooperative pool: the store's async methods suspend on GRDB's own queue. With synchronous store calls, a few
/// presses waiting for a lock held elsewhere took every pool thread, and nothing else in the hub ran until the lock
/// was released (or the 5 s busy timeout failed them).
@Suite("Presses while SQLite is locked")
struct PressUnderLockTests {
    static let chatID: Int64 = -1001
    static let bob = TelegramUser(id: 22, isBot: false, firstName: "Bob", username: "bob")

    /// Holds SQLite's write lock on `path` from its own thread and connection (`BEGIN IMMEDIATE`, as a `bothub` CLI
    /// command or a backup would) until `release()` or, at the latest, `timeout`.
    final class LockHolder: Sendable {
        private let locked = Atomic<Bool>(false)
        private let released = Atomic<Bool>(false)
        private let releasedByTest = Atomic<Bool>(false)
        private let semaphore = DispatchSemaphore(value: 0)

        var isLocked: Bool { locked.load(ordering: .acquiring) }
        var isReleased: Bool { released.load(ordering: .acquiring) }
        /// False when the lock was released by the timeout: the test could not run while it was held.
        var wasReleasedByTest: Bool { releasedByTest.load(ordering: .acquiring) }

        init(path: String, timeout: DispatchTimeInterval) throws {
            let queue = try DatabaseQueue(path: path)
            let thread = Thread { [self] in
                do {
                    try queue.writeWithoutTransaction { db in
                        try db.execute(sql: "BEGIN IMMEDIATE")
                        locked.store(true, ordering: .releasing)
                        releasedByTest.store(semaphore.wait(timeout: .now() + timeout) == .success, ordering: .releasing)
                        try db.execute(sql: "COMMIT")
                    }
                } catch {
                    Issue.record("the lock holder failed: \(error)")
                }
                released.store(true, ordering: .releasing)
            }
            thread.start()
        }

        func release() { semaphore.signal() }
    }

    final class TickCount: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test("presses waiting for a write lock held by another connection leave the cooperative pool free, then all complete")
    func pressesWaitOffThePool() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("hub.sqlite")
        let store = try HubStore.open(path: path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // More presses than the pool has threads: blocking calls would take every one of them.
        let presses = max(4, ProcessInfo.processInfo.activeProcessorCount * 2)
        let alerts = (0..<presses).map { index in
            Alert(
                agent: "web-1", hostname: "web-1", kind: .sshSession, severity: .warning, observedAt: now,
                subject: .sshSession(
                    SSHSessionEvidence(user: "root", ip: "203.0.113.\(index + 1)", port: 50_000, method: "password", pid: 4242, pidStartTime: 777)),
                actions: [.acknowledge])
        }
        for alert in alerts { #expect(try store.recordAlert(alert, chats: [Self.chatID], now: now)) }
        let roster = ChatRoster(
            chats: [
                TelegramConfiguration.Chat(id: Self.chatID, language: nil, operators: [.init(userID: Self.bob.id, name: "bob", role: .operator)])
            ],
            store: store, defaultLanguage: "en")
        let handler = ChoiceHandler(
            store: store, catalogs: try MessageCatalogs.builtIn(), telegram: RecordingTelegram(), roster: roster,
            dispatcher: ResponseDispatcher(agents: AgentDirectory(configured: []), timeout: .seconds(5), logger: Logger(label: "test")),
            settings: ChoiceSettings(), logger: Logger(label: "test"), now: { now })

        // Held for at most 3 s, below the store's 5 s busy timeout: on blocking code the presses wait it out and
        // succeed, and only the missing progress fails the test.
        let lock = try LockHolder(path: path, timeout: .seconds(3))
        try await waitUntil("the other connection holds the write lock") { lock.isLocked }
        let pressing = Task {
            await withTaskGroup(of: Void.self) { group in
                for (index, alert) in alerts.enumerated() {
                    let message = TelegramMessage(
                        messageId: Int64(100 + index), date: 0, chat: TelegramChat(id: Self.chatID, type: "supergroup"), text: nil)
                    let query = TelegramCallbackQuery(
                        id: "q\(index)", from: Self.bob, message: message, data: "v1:acknowledge:\(ShortID.make(alert.id))")
                    group.addTask { await handler.handle(query) }
                }
            }
        }
        // Other work on the same executor: a task that ticks every millisecond must keep ticking while they wait.
        let ticks = TickCount()
        let ticker = Task {
            while !Task.isCancelled {
                ticks.value.add(1, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        try await waitUntil("the ticker ticks, or the lock holder gives up", timeout: .seconds(10)) {
            ticks.value.load(ordering: .relaxed) >= 20 || lock.isReleased
        }
        ticker.cancel()
        #expect(!lock.isReleased, "the cooperative pool was blocked while SQLite was locked: \(ticks.value.load(ordering: .relaxed)) ticks in 3 s")
        // The presses really were waiting for the lock: none has claimed its alert yet (a WAL read is not blocked).
        let statusesWhileLocked = try alerts.map { try store.alert(id: $0.id.uuidString)?.status }
        #expect(statusesWhileLocked.allSatisfy { $0 == .open })
        lock.release()

        await pressing.value
        #expect(lock.wasReleasedByTest)
        for alert in alerts {
            let stored = try #require(try await store.alert(id: alert.id.uuidString))
            #expect(stored.status == .handled && stored.handledBy == "@bob")
        }
        let pressRows = try store.auditEntries(since: .distantPast).filter { $0.event == "press" }
        #expect(pressRows.count == presses)
    }
}
