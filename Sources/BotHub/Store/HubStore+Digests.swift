import Foundation
import GRDB
import Shared

/// A digest message that stands for a flood of alerts of one kind from one agent in one chat.
struct StoredDigest: Codable, FetchableRecord, MutablePersistableRecord, Sendable, Equatable {
    static let databaseTableName = "digest"

    var id: Int64?
    var chatId: Int64
    var agent: String
    var kind: String
    var openedAt: Date
    var lastAlertAt: Date
    var messageId: Int64?
    var dirty: Bool
    var outcome: String?
    /// The addresses the message listed for its block button when last shown, space-separated.
    var blockTargets: String?
    /// Who pressed the block button (it is single use), and when.
    var handledBy: String?
    var handledAt: Date?

    /// Exactly what the block button blocks: what the message showed, never what the digest grew to since.
    var shownBlockTargets: [String] {
        blockTargets.map { $0.split(separator: " ").map(String.init) } ?? []
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The digest's id in `callback_data`: 12 hex digits, like alert short ids.
    var shortID: String { String(format: "%012llx", id ?? 0) }
}

extension HubStore {
    /// Alerts of `kind` from `agent` received in `(since, until]`.
    func alertCount(agent: String, kind: String, since: Date, until: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM alert WHERE agent = ? AND kind = ? AND receivedAt > ? AND receivedAt <= ?",
                arguments: [agent, kind, since, until]
            ) ?? 0
        }
    }

    /// Critical alerts of `kind` from `agent` received in `(since, until)`: the first one of a kind is never folded.
    func criticalCount(agent: String, kind: String, since: Date, before: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM alert WHERE agent = ? AND kind = ? AND severity = 'critical' AND receivedAt > ? AND receivedAt < ?",
                arguments: [agent, kind, since, before]
            ) ?? 0
        }
    }

    /// Folds a pending message into the open digest for its chat, agent and kind (opening one if the last went quiet
    /// for longer than `window`). Returns the digest.
    @discardableResult
    func fold(alert: StoredAlert, chatID: Int64, window: TimeInterval, now: Date) async throws -> StoredDigest {
        try await write { db in
            var digest =
                try StoredDigest
                .filter(Column("chatId") == chatID && Column("agent") == alert.agent && Column("kind") == alert.kind.rawValue)
                .filter(Column("lastAlertAt") >= now.addingTimeInterval(-window))
                .order(Column("id").desc)
                .fetchOne(db)
                ?? StoredDigest(chatId: chatID, agent: alert.agent, kind: alert.kind.rawValue, openedAt: now, lastAlertAt: now, dirty: true)
            digest.lastAlertAt = now
            digest.dirty = true
            try digest.save(db)
            try db.execute(
                sql: "UPDATE message SET state = 'digested', digestId = ? WHERE alertId = ? AND chatId = ?",
                arguments: [digest.id, alert.id, chatID]
            )
            return digest
        }
    }

    /// True while a digest for this chat, agent and kind took an alert within `window`.
    func hasOpenDigest(chatID: Int64, agent: String, kind: String, window: TimeInterval, now: Date) async throws -> Bool {
        try await read { db in
            try StoredDigest
                .filter(Column("chatId") == chatID && Column("agent") == agent && Column("kind") == kind)
                .filter(Column("lastAlertAt") >= now.addingTimeInterval(-window))
                .fetchCount(db) > 0
        }
    }

    func dirtyDigests() async throws -> [StoredDigest] {
        try await read { db in try StoredDigest.filter(Column("dirty") == true).order(Column("id")).fetchAll(db) }
    }

    func digest(shortID: String) async throws -> StoredDigest? {
        guard let id = Int64(shortID, radix: 16) else { return nil }
        return try await read { db in try StoredDigest.fetchOne(db, key: id) }
    }

    /// Records the shown message and the addresses its block button listed.
    func markDigestShown(_ id: Int64, messageID: Int64, blockTargets: [String]) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE digest SET dirty = 0, messageId = ?, blockTargets = ? WHERE id = ?",
                arguments: [messageID, blockTargets.joined(separator: " "), id]
            )
        }
    }

    /// Atomically takes a digest's block button, so it acts once however often (or wherever) it is pressed.
    func claimDigest(_ id: Int64, by actor: String, now: Date) async throws -> AlertClaim {
        try await write { db in
            try db.execute(
                sql: "UPDATE digest SET handledBy = ?, handledAt = ? WHERE id = ? AND handledBy IS NULL AND outcome IS NULL",
                arguments: [actor, now, id]
            )
            if db.changesCount == 1 { return .claimed }
            guard let digest = try StoredDigest.fetchOne(db, key: id) else { return .unknown }
            return .alreadyHandled(by: digest.handledBy ?? "?", at: digest.handledAt, outcome: digest.outcome)
        }
    }

    func setDigestOutcome(_ id: Int64, outcome: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE digest SET outcome = ? WHERE id = ?", arguments: [outcome, id])
        }
    }

    /// The alerts folded into a digest, oldest first.
    func digestAlerts(_ id: Int64) async throws -> [StoredAlert] {
        try await read { db in
            try StoredAlert.fetchAll(
                db,
                sql: "SELECT alert.* FROM alert JOIN message ON message.alertId = alert.id WHERE message.digestId = ? ORDER BY alert.receivedAt",
                arguments: [id]
            )
        }
    }
}
