import Foundation
import GRDB
import Shared

/// A message that still has to reach a chat.
struct PendingMessage: Sendable, Equatable {
    var alert: StoredAlert
    var chatID: Int64
}

/// What claiming an alert for a choice found.
enum AlertClaim: Sendable, Equatable {
    /// This caller now carries out the choice; nobody else can.
    case claimed
    /// Someone chose already (or is choosing now).
    case alreadyHandled(by: String, at: Date?, outcome: String?)
    case unknown
}

extension HubStore {
    /// Stores `alert` and one pending message per chat in one transaction. Returns false for an alert id already
    /// stored (the agent retried): nothing is added, so nothing is shown twice.
    func recordAlert(_ alert: Alert, chats: [Int64], now: Date) throws -> Bool {
        let payload = String(decoding: try WireCoding.encode(alert), as: UTF8.self)
        return try writer.write { db in
            if try StoredAlert.exists(db, key: alert.id.uuidString) { return false }
            try Self.insert(alert, payload: payload, chats: chats, now: now, in: db)
            return true
        }
    }

    /// Stores many alerts in one transaction (one fsync for the batch); returns, per alert, whether it was new, or why
    /// it could not be stored. Each alert is written inside its own savepoint, so one that fails (a constraint, a
    /// trigger, an undecodable payload) is rolled back alone and the rest of the batch, from every agent, is stored.
    func recordAlerts(_ alerts: [Alert], chats: [Int64], now: Date) async throws -> [Result<Bool, any Error>] {
        try await write { db in
            var results: [Result<Bool, any Error>] = []
            var seen: Set<UUID> = []
            for alert in alerts {
                guard seen.insert(alert.id).inserted else {
                    results.append(.success(false))
                    continue
                }
                do {
                    var isNew = false
                    try db.inSavepoint {
                        guard try !StoredAlert.exists(db, key: alert.id.uuidString) else { return .commit }
                        let payload = String(decoding: try WireCoding.encode(alert), as: UTF8.self)
                        try Self.insert(alert, payload: payload, chats: chats, now: now, in: db)
                        isNew = true
                        return .commit
                    }
                    results.append(.success(isNew))
                } catch {
                    // SQLite rolls the whole transaction back on some errors (disk full, I/O): then nothing of the
                    // batch is stored and every caller must hear so, not only this one.
                    guard db.isInsideTransaction else { throw error }
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    private static func insert(_ alert: Alert, payload: String, chats: [Int64], now: Date, in db: Database) throws {
        let stored = StoredAlert(
            id: alert.id.uuidString,
            shortId: try ShortID.unused(for: alert.id, in: db),
            agent: alert.agent,
            kind: alert.kind,
            severity: alert.severity,
            observedAt: alert.observedAt,
            receivedAt: now,
            payload: payload,
            status: .open
        )
        try stored.insert(db)
        for chat in chats {
            try db.execute(
                sql: "INSERT INTO message (alertId, chatId, state, createdAt) VALUES (?, ?, ?, ?)",
                arguments: [stored.id, chat, MessageState.pending, now]
            )
        }
        try AuditEntry(
            at: now,
            event: "alert",
            actor: alert.agent,
            alertId: stored.id,
            detail: "\(alert.kind.rawValue) \(alert.severity.rawValue) from \(alert.hostname)"
        ).insert(db)
    }

    /// Messages not yet sent, oldest first; a `sending` one is among them (its hub stopped before Telegram's answer
    /// was recorded, so it is sent again: at-least-once).
    ///
    /// Only the notifier's single loop marks messages `sending`, so within one run no other message is in that state.
    func pendingMessages(limit: Int = 100) async throws -> [PendingMessage] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT message.chatId AS chatId, alert.* FROM message JOIN alert ON alert.id = message.alertId
                    WHERE message.state IN ('pending', 'sending') ORDER BY message.createdAt, alert.rowid LIMIT ?
                    """,
                arguments: [limit]
            )
            return try rows.map { PendingMessage(alert: try StoredAlert(row: $0), chatID: $0["chatId"]) }
        }
    }

    /// Marks a message as being sent, just before `sendMessage`: a crash before `markMessageSent` leaves this mark.
    func markMessageSending(alertID: String, chatID: Int64) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE message SET state = ? WHERE alertId = ? AND chatId = ?", arguments: [MessageState.sending, alertID, chatID])
        }
    }

    func markMessageSent(alertID: String, chatID: Int64, messageID: Int64) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE message SET state = 'sent', messageId = ?, failure = NULL WHERE alertId = ? AND chatId = ?",
                arguments: [messageID, alertID, chatID]
            )
        }
    }

    func markMessageMuted(alertID: String, chatID: Int64) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE message SET state = 'muted' WHERE alertId = ? AND chatId = ?", arguments: [alertID, chatID])
        }
    }

    func markMessageFailed(alertID: String, chatID: Int64, reason: String) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE message SET state = 'failed', failure = ? WHERE alertId = ? AND chatId = ?",
                arguments: [reason, alertID, chatID]
            )
        }
    }

    /// The Telegram message showing `alertID` in `chatID`, if it was sent.
    func messageID(alertID: String, chatID: Int64) async throws -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT messageId FROM message WHERE alertId = ? AND chatId = ?", arguments: [alertID, chatID])
        }
    }

    /// Every sent message of an alert, so an outcome can be shown in each chat.
    func sentMessages(alertID: String) async throws -> [(chatID: Int64, messageID: Int64)] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT chatId, messageId FROM message WHERE alertId = ? AND state = 'sent'",
                arguments: [alertID]
            ).map { ($0["chatId"], $0["messageId"]) }
        }
    }

    /// For the command line (a synchronous caller); async code uses the `async` overload, which does not hold a thread.
    func alert(shortID: String) throws -> StoredAlert? {
        try writer.read { db in try Self.alert(shortID: shortID, in: db) }
    }

    func alert(shortID: String) async throws -> StoredAlert? {
        try await read { db in try Self.alert(shortID: shortID, in: db) }
    }

    private static func alert(shortID: String, in db: Database) throws -> StoredAlert? {
        try StoredAlert.filter(Column("shortId") == shortID).fetchOne(db)
    }

    /// For the command line; async code uses the `async` overload.
    func alert(id: String) throws -> StoredAlert? {
        try writer.read { db in try StoredAlert.fetchOne(db, key: id) }
    }

    func alert(id: String) async throws -> StoredAlert? {
        try await read { db in try StoredAlert.fetchOne(db, key: id) }
    }

    /// Alerts newest first (for `bothub alerts` and `/status`).
    func recentAlerts(limit: Int, openOnly: Bool = false) throws -> [StoredAlert] {
        try writer.read { db in
            var request = StoredAlert.order(Column("receivedAt").desc).limit(limit)
            if openOnly { request = request.filter(Column("status") == AlertStatus.open) }
            return try request.fetchAll(db)
        }
    }

    /// Atomically takes an open alert for a choice, so two presses (or two chats) can never both act.
    ///
    /// An alert left `handling` since before `staleBefore` is taken over too: its command expired at the agent by
    /// then (the agent refuses a command past its `expiresAt`), so it can no longer run, and a failed write of its
    /// outcome must not keep the alert unanswerable for ever.
    func claimAlert(id: String, choice: String, by actor: String, now: Date, staleBefore: Date? = nil) async throws -> AlertClaim {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE alert SET status = 'handling', handledBy = ?, handledAt = ?, pendingChoice = ?, pendingCommand = NULL
                    WHERE id = ? AND (status = 'open' OR (status = 'handling' AND handledAt < ?))
                    """,
                arguments: [actor, now, choice, id, staleBefore ?? Date.distantPast]
            )
            if db.changesCount == 1 { return .claimed }
            guard let alert = try StoredAlert.fetchOne(db, key: id) else { return .unknown }
            return .alreadyHandled(by: alert.handledBy ?? "?", at: alert.handledAt, outcome: alert.outcome)
        }
    }

    /// Stores the command about to be sent for a claimed alert, so a hub killed before the answer sends it again.
    func recordPendingCommand(alertID: String, command: ResponseCommand) async throws {
        let json = String(decoding: try WireCoding.encode(command), as: UTF8.self)
        try await write { db in
            try db.execute(
                sql: "UPDATE alert SET pendingCommand = ? WHERE id = ? AND status = 'handling'",
                arguments: [json, alertID]
            )
        }
    }

    /// Alerts a choice was being carried out on: at start, those a previous run left unfinished.
    func handlingAlerts() async throws -> [StoredAlert] {
        try await read { db in
            try StoredAlert.filter(Column("status") == AlertStatus.handling).order(Column("handledAt")).fetchAll(db)
        }
    }

    /// Records the outcome of a claimed alert. A failed attempt reopens it, so the operator can try again.
    func finishAlert(id: String, outcome: String, reopen: Bool) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE alert SET status = ?, outcome = ?, pendingChoice = NULL, pendingCommand = NULL WHERE id = ?",
                arguments: [reopen ? AlertStatus.open : AlertStatus.handled, outcome, id]
            )
        }
    }

    /// Reopens an alert whose block was lifted, so its buttons work again.
    func reopenAlert(id: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE alert SET status = 'open', handledBy = NULL, handledAt = NULL, outcome = NULL WHERE id = ?", arguments: [id])
        }
    }
}
