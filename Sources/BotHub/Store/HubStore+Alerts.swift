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

    /// Stores many alerts in one transaction (one fsync for the batch); returns, per alert, whether it was new.
    func recordAlerts(_ alerts: [Alert], chats: [Int64], now: Date) async throws -> [Bool] {
        let payloads = try alerts.map { String(decoding: try WireCoding.encode($0), as: UTF8.self) }
        return try await writer.write { db in
            var results: [Bool] = []
            var seen: Set<UUID> = []
            for (alert, payload) in zip(alerts, payloads) {
                guard seen.insert(alert.id).inserted, try !StoredAlert.exists(db, key: alert.id.uuidString) else {
                    results.append(false)
                    continue
                }
                try Self.insert(alert, payload: payload, chats: chats, now: now, in: db)
                results.append(true)
            }
            return results
        }
    }

    private static func insert(_ alert: Alert, payload: String, chats: [Int64], now: Date, in db: Database) throws {
        let stored = StoredAlert(
            id: alert.id.uuidString,
            shortId: ShortID.make(alert.id),
            agent: alert.agent,
            kind: alert.kind.rawValue,
            severity: alert.severity.rawValue,
            observedAt: alert.observedAt,
            receivedAt: now,
            payload: payload,
            status: "open"
        )
        try stored.insert(db)
        for chat in chats {
            try db.execute(
                sql: "INSERT INTO message (alertId, chatId, state, createdAt) VALUES (?, ?, 'pending', ?)",
                arguments: [stored.id, chat, now]
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

    /// Messages not yet sent, oldest first.
    func pendingMessages(limit: Int = 100) throws -> [PendingMessage] {
        try writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT message.chatId AS chatId, alert.* FROM message JOIN alert ON alert.id = message.alertId
                    WHERE message.state = 'pending' ORDER BY message.createdAt, alert.rowid LIMIT ?
                    """,
                arguments: [limit]
            )
            return try rows.map { PendingMessage(alert: try StoredAlert(row: $0), chatID: $0["chatId"]) }
        }
    }

    func markMessageSent(alertID: String, chatID: Int64, messageID: Int64) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE message SET state = 'sent', messageId = ?, failure = NULL WHERE alertId = ? AND chatId = ?",
                arguments: [messageID, alertID, chatID]
            )
        }
    }

    func markMessageMuted(alertID: String, chatID: Int64) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE message SET state = 'muted' WHERE alertId = ? AND chatId = ?", arguments: [alertID, chatID])
        }
    }

    func markMessageFailed(alertID: String, chatID: Int64, reason: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE message SET state = 'failed', failure = ? WHERE alertId = ? AND chatId = ?",
                arguments: [reason, alertID, chatID]
            )
        }
    }

    /// The Telegram message showing `alertID` in `chatID`, if it was sent.
    func messageID(alertID: String, chatID: Int64) throws -> Int64? {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT messageId FROM message WHERE alertId = ? AND chatId = ?", arguments: [alertID, chatID])
        }
    }

    /// Every sent message of an alert, so an outcome can be shown in each chat.
    func sentMessages(alertID: String) throws -> [(chatID: Int64, messageID: Int64)] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT chatId, messageId FROM message WHERE alertId = ? AND state = 'sent'",
                arguments: [alertID]
            ).map { ($0["chatId"], $0["messageId"]) }
        }
    }

    func alert(shortID: String) throws -> StoredAlert? {
        try writer.read { db in try StoredAlert.filter(Column("shortId") == shortID).fetchOne(db) }
    }

    func alert(id: String) throws -> StoredAlert? {
        try writer.read { db in try StoredAlert.fetchOne(db, key: id) }
    }

    /// Alerts newest first (for `bothub alerts` and `/status`).
    func recentAlerts(limit: Int, openOnly: Bool = false) throws -> [StoredAlert] {
        try writer.read { db in
            var request = StoredAlert.order(Column("receivedAt").desc).limit(limit)
            if openOnly { request = request.filter(Column("status") == "open") }
            return try request.fetchAll(db)
        }
    }

    /// Atomically takes an open alert for a choice, so two presses (or two chats) can never both act.
    func claimAlert(id: String, by actor: String, now: Date) throws -> AlertClaim {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE alert SET status = 'handling', handledBy = ?, handledAt = ? WHERE id = ? AND status = 'open'",
                arguments: [actor, now, id]
            )
            if db.changesCount == 1 { return .claimed }
            guard let alert = try StoredAlert.fetchOne(db, key: id) else { return .unknown }
            return .alreadyHandled(by: alert.handledBy ?? "?", at: alert.handledAt, outcome: alert.outcome)
        }
    }

    /// Records the outcome of a claimed alert. A failed attempt reopens it, so the operator can try again.
    func finishAlert(id: String, outcome: String, reopen: Bool) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE alert SET status = ?, outcome = ? WHERE id = ?",
                arguments: [reopen ? "open" : "handled", outcome, id]
            )
        }
    }

    /// Reopens an alert whose block was lifted, so its buttons work again.
    func reopenAlert(id: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE alert SET status = 'open', handledBy = NULL, handledAt = NULL, outcome = NULL WHERE id = ?", arguments: [id])
        }
    }
}

/// Short alert ids for `callback_data`: the first 12 hex digits of the UUID (48 bits; collisions are checked by the
/// unique index, and at a million alerts the chance of one is about 2 in a million).
enum ShortID {
    static func make(_ id: UUID) -> String {
        String(id.uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
    }
}
