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
/// executor it runs on: the store's async methods suspend on GRDB's own queue. With synchronous store calls, presses
/// waiting for a lock held elsewhere took the pool's threads, and nothing else in the hub ran until the lock was
/// released (or the 5 s busy timeout failed them).
///
/// A system test: it needs its one-thread executor to make progress within 3 s, which the suite's parallel start on two
/// cores (dozens of tests and their servers at once) once denied it.
@Suite("Presses while SQLite is locked", .system)
struct PressUnderLockTests {
    static let chatID: Int64 = -1001
    static let bob = TelegramUser(id: 22, isBot: false, firstName: "Bob", username: "bob")

    /// Holds SQLite's write lock on `path` from its own thread and connection (`BEGIN IMMEDIATE`, as a `bothub` CLI
    /// command or a backup would) until `release()` or, at the latest, `timeout`.
    final class LockHolder: Sendable {
        private let locked = Atomic<Bool>(false)
        private let releasedByTest = Atomic<Bool>(false)
        private let committed = Atomic<Bool>(false)
        private let semaphore = DispatchSemaphore(value: 0)

        var isLocked: Bool { locked.load(ordering: .acquiring) }
        /// The holder has let the lock go (by `release()` or by its timeout) and ended its transaction.
        var isCommitted: Bool { committed.load(ordering: .acquiring) }
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
                committed.store(true, ordering: .releasing)
            }
            thread.start()
        }

        func release() { semaphore.signal() }
    }

    final class StatusSnapshot: Sendable {
        let statuses = Mutex<[AlertStatus?]>([])
    }

    @Test("presses waiting for a write lock held by another connection leave the cooperative pool free, then all complete")
    func pressesWaitOffThePool() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("hub.sqlite")
        let store = try HubStore.open(path: path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let presses = 4
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
        let executor = OneThreadExecutor()
        let pressing = Task(executorPreference: executor) {
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
        // Other work on the same executor: a task that yields 200 times (each turn queued behind whatever else the
        // executor runs, and needing nothing from the global pool, which the parallel suite may keep busy) must finish
        // while the presses wait; then it looks at the alerts (a WAL read is not blocked by the lock) and lets it go.
        let whileLocked = StatusSnapshot()
        let ticker = Task(executorPreference: executor) {
            for _ in 0..<200 { await Task.yield() }
            whileLocked.statuses.withLock { $0 = (try? alerts.map { try store.alert(id: $0.id.uuidString)?.status }) ?? [] }
            lock.release()
        }
        await ticker.value
        try await waitUntil("the lock holder ends its transaction") { lock.isCommitted }
        #expect(lock.wasReleasedByTest, "the presses' executor was blocked while SQLite was locked: the ticker waited for the 3 s timeout")
        // The presses really were waiting for the lock: none had claimed its alert yet.
        #expect(whileLocked.statuses.withLock { $0 } == Array(repeating: .open, count: presses))

        await pressing.value
        for alert in alerts {
            let stored = try #require(try await store.alert(id: alert.id.uuidString))
            #expect(stored.status == .handled && stored.handledBy == "@bob")
        }
        let pressRows = try store.auditEntries(since: .distantPast).filter { $0.event == "press" }
        #expect(pressRows.count == presses)
    }
}
