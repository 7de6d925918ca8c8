import Foundation
import GRDB
import Shared
import Testing

@testable import BotHub

/// A database written by an older hub opens in this one with every row kept, and its states typed and checked.
@Suite("Store migrations")
struct StoreMigrationTests {
    @Test("a database from before typed states keeps its alerts and messages, and refuses a state that does not exist")
    func typedStatesMigration() async throws {
        // Given a database migrated only as far as the previous release, holding a handled alert and its sent message
        let queue = try DatabaseQueue()
        try HubStore.migrator.migrate(queue, upTo: "v6-pending-choice")
        let alert = Alert(
            agent: "web-1", hostname: "web-1", kind: .http404Burst, severity: .critical, observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .sshSession(SSHSessionEvidence(user: "root", ip: "203.0.113.7", port: 1, method: "password", pid: 1, pidStartTime: 1)),
            actions: [.blockIP1h])
        let payload = String(decoding: try WireCoding.encode(alert), as: UTF8.self)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO alert (id, shortId, agent, kind, severity, observedAt, receivedAt, payload, status, handledBy, outcome)
                    VALUES (?, 'abcdefabcdef', 'web-1', 'http_404_burst', 'critical', ?, ?, ?, 'handled', '@bob', 'done')
                    """,
                arguments: [alert.id.uuidString, alert.observedAt, alert.observedAt, payload])
            try db.execute(
                sql: "INSERT INTO message (alertId, chatId, messageId, state, createdAt) VALUES (?, -1001, 42, 'sent', ?)",
                arguments: [alert.id.uuidString, alert.observedAt])
        }

        // When this hub opens it
        let store = try HubStore(writer: queue)

        // Then the rows are there, typed
        let stored = try #require(try await store.alert(id: alert.id.uuidString))
        #expect(stored.status == .handled)
        #expect(stored.kind == .http404Burst)
        #expect(stored.severity == .critical)
        #expect(stored.handledBy == "@bob")
        #expect(try await store.messageID(alertID: alert.id.uuidString, chatID: -1001) == 42)
        #expect(try await store.sentMessages(alertID: alert.id.uuidString).map(\.messageID) == [42])

        // And a state outside the enums is refused by the database itself
        await #expect(throws: DatabaseError.self) {
            try await queue.write { db in try db.execute(sql: "UPDATE alert SET status = 'done' WHERE id = ?", arguments: [alert.id.uuidString]) }
        }
        await #expect(throws: DatabaseError.self) {
            try await queue.write { db in
                try db.execute(sql: "UPDATE message SET state = 'delivered' WHERE alertId = ?", arguments: [alert.id.uuidString])
            }
        }
        // And the message still belongs to its alert (the foreign key survived the rebuild)
        try await queue.write { db in try db.execute(sql: "DELETE FROM alert WHERE id = ?", arguments: [alert.id.uuidString]) }
        #expect(try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") } == 0)
    }

    @Test("a message is marked sending before Telegram is called, and a sending message is sent again after a restart")
    func sendingIsPending() async throws {
        let store = try HubStore.inMemory()
        let alert = Alert(
            agent: "web-1", hostname: "web-1", kind: .sshSession, severity: .warning, observedAt: Date(),
            subject: .sshSession(SSHSessionEvidence(user: "root", ip: "203.0.113.9", port: 1, method: "password", pid: 1, pidStartTime: 1)),
            actions: [.acknowledge])
        _ = try store.recordAlert(alert, chats: [-1001], now: Date())
        try await store.markMessageSending(alertID: alert.id.uuidString, chatID: -1001)
        #expect(try await store.pendingMessages().map(\.chatID) == [-1001], "a message left sending is sent again (at-least-once)")
        try await store.markMessageSent(alertID: alert.id.uuidString, chatID: -1001, messageID: 7)
        #expect(try await store.pendingMessages().isEmpty)
    }
}
