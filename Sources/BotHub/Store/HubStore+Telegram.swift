import Foundation
import GRDB

extension HubStore {
    /// The next `getUpdates` offset (last handled update id + 1), or nil before the first batch.
    func telegramOffset() async throws -> Int64? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'telegram.offset'").flatMap(Int64.init)
        }
    }

    func saveTelegramOffset(_ offset: Int64) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO setting (key, value) VALUES ('telegram.offset', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [String(offset)]
            )
        }
    }

    /// Marks an update as taken; false if it was taken before (a redelivery after a crash), so it is not handled twice.
    func takeUpdate(_ updateID: Int64, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO processedUpdate (updateId, at) VALUES (?, ?)", arguments: [updateID, now])
            return db.changesCount == 1
        }
    }

    func chatLanguage(_ chatID: Int64) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT language FROM chat WHERE id = ?", arguments: [chatID]) }
    }

    func setChatLanguage(_ chatID: Int64, language: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO chat (id, language) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET language = excluded.language",
                arguments: [chatID, language]
            )
        }
    }

    /// Remembers that a user must tap again to confirm `choice` before `expiresAt`.
    func saveConfirmation(alertID: String, choice: String, userID: Int64, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO confirmation (alertId, choice, userId, expiresAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT(alertId, userId) DO UPDATE SET choice = excluded.choice, expiresAt = excluded.expiresAt
                    """,
                arguments: [alertID, choice, userID, expiresAt]
            )
        }
    }

    /// Takes (and deletes) the pending confirmation of `userID` for `alertID`, if it matches `choice` and is unexpired.
    func takeConfirmation(alertID: String, choice: String, userID: Int64, now: Date) async throws -> Bool {
        try await write { db in
            let expiresAt = try Date.fetchOne(
                db,
                sql: "SELECT expiresAt FROM confirmation WHERE alertId = ? AND userId = ? AND choice = ?",
                arguments: [alertID, userID, choice]
            )
            try db.execute(sql: "DELETE FROM confirmation WHERE alertId = ? AND userId = ?", arguments: [alertID, userID])
            guard let expiresAt else { return false }
            return expiresAt > now
        }
    }
}

extension HubStore {
    /// Records that group `from` became supergroup `to` and moves its unsent messages there.
    func migrateChat(from: Int64, to: Int64) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO chat (id, language, migratedFrom) VALUES (?, (SELECT language FROM chat WHERE id = ?), ?)
                    ON CONFLICT(id) DO UPDATE SET migratedFrom = excluded.migratedFrom
                    """,
                arguments: [to, from, from]
            )
            try db.execute(sql: "UPDATE message SET chatId = ? WHERE chatId = ? AND state IN ('pending', 'sending')", arguments: [to, from])
        }
    }

    /// The configured chat id a supergroup was migrated from, if any.
    func migratedFrom(_ chatID: Int64) throws -> Int64? {
        try writer.read { db in try Int64.fetchOne(db, sql: "SELECT migratedFrom FROM chat WHERE id = ?", arguments: [chatID]) }
    }

    /// Where alerts for configured chat `chatID` go now (itself, or the supergroup it became).
    func currentChatID(for chatID: Int64) throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM chat WHERE migratedFrom = ?", arguments: [chatID]) ?? chatID
        }
    }

    func setChatBlocked(_ chatID: Int64, _ blocked: Bool) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO chat (id, blocked) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET blocked = excluded.blocked",
                arguments: [chatID, blocked]
            )
        }
    }

    func isChatBlocked(_ chatID: Int64) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT blocked FROM chat WHERE id = ?", arguments: [chatID]) ?? false }
    }
}
