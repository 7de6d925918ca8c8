import Foundation
import GRDB
import Shared

/// The hub's state in SQLite (WAL): alerts, their Telegram messages, choices, the audit trail and the update offset.
///
/// One writer, intention-revealing methods; every multi-row change is one transaction, so a crash leaves either
/// all of it or none.
struct HubStore: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it.
    static func open(path: String) throws -> HubStore {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try HubStore(writer: pool)
    }

    /// An in-memory database for tests.
    static func inMemory() throws -> HubStore {
        try HubStore(writer: DatabaseQueue())
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// GRDB's async write for the hub's async code: the wait for SQLite (a lock held by another connection, the
    /// commit's fsync) happens on GRDB's queue, so it never holds a thread of the cooperative pool. It runs in a task
    /// of its own because GRDB refuses an access from a cancelled task, and what a cancelled caller writes must still
    /// be written: a press cut short at shutdown reopens its alert and audits the result.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Task { try await writer.write(updates) }.value
    }

    /// GRDB's async read (a reader connection of the WAL pool), off the cooperative pool and not cut short by the
    /// caller's cancellation either.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Task { try await writer.read(value) }.value
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "alert") { table in
                table.primaryKey("id", .text)
                table.column("shortId", .text).notNull().unique()
                table.column("agent", .text).notNull().indexed()
                table.column("kind", .text).notNull()
                table.column("severity", .text).notNull()
                table.column("observedAt", .datetime).notNull()
                table.column("receivedAt", .datetime).notNull().indexed()
                table.column("payload", .text).notNull()
                /// `open`, `handling` (a choice is being carried out) or `handled`.
                table.column("status", .text).notNull().defaults(to: "open")
                table.column("handledBy", .text)
                table.column("handledAt", .datetime)
                table.column("outcome", .text)
            }
            try db.create(table: "message") { table in
                table.column("alertId", .text).notNull().references("alert", onDelete: .cascade)
                table.column("chatId", .integer).notNull()
                table.column("messageId", .integer)
                /// `pending` until Telegram returns the message id, then `sent`; `failed` keeps the reason.
                table.column("state", .text).notNull().defaults(to: "pending")
                table.column("failure", .text)
                table.column("createdAt", .datetime).notNull()
                table.primaryKey(["alertId", "chatId"])
            }
            try db.create(table: "audit") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("at", .datetime).notNull().indexed()
                table.column("event", .text).notNull()
                table.column("actor", .text)
                table.column("alertId", .text)
                table.column("detail", .text).notNull()
            }
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
            try db.create(table: "processedUpdate") { table in
                table.primaryKey("updateId", .integer)
                table.column("at", .datetime).notNull()
            }
            try db.create(table: "chat") { table in
                table.primaryKey("id", .integer)
                table.column("language", .text)
                table.column("blocked", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "confirmation") { table in
                table.column("alertId", .text).notNull()
                table.column("choice", .text).notNull()
                table.column("userId", .integer).notNull()
                table.column("expiresAt", .datetime).notNull()
                table.primaryKey(["alertId", "userId"])
            }
            try db.create(table: "block") { table in
                table.column("agent", .text).notNull()
                table.column("ip", .text).notNull()
                table.column("until", .datetime)
                table.column("alertId", .text)
                table.column("blockedBy", .text).notNull()
                table.column("blockedAt", .datetime).notNull()
                table.primaryKey(["agent", "ip"])
            }
            try db.create(table: "mute") { table in
                /// An agent id or an alert kind.
                table.primaryKey("target", .text)
                table.column("until", .datetime).notNull()
            }
            try db.create(table: "heartbeat") { table in
                table.primaryKey("agent", .text)
                table.column("lastSeen", .datetime).notNull()
                table.column("payload", .text).notNull()
            }
        }
        migrator.registerMigration("v2-chat-migration") { db in
            try db.alter(table: "chat") { table in
                /// Set on the supergroup a group was upgraded to: the configured (old) chat id.
                table.add(column: "migratedFrom", .integer)
            }
        }
        migrator.registerMigration("v3-digests") { db in
            try db.create(table: "digest") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("chatId", .integer).notNull()
                table.column("agent", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("openedAt", .datetime).notNull()
                table.column("lastAlertAt", .datetime).notNull()
                table.column("messageId", .integer)
                /// Set when alerts were folded in since the message was last sent or edited.
                table.column("dirty", .boolean).notNull().defaults(to: true)
                table.column("outcome", .text)
            }
            try db.alter(table: "message") { table in
                table.add(column: "digestId", .integer)
            }
        }
        migrator.registerMigration("v4-chat-mutes-digest-buttons") { db in
            // Mutes were global and unbounded; they are now per chat, capped, and spare critical alerts unless an
            // admin says otherwise. Old mutes are lifted rather than guessed into a chat.
            try db.drop(table: "mute")
            try db.create(table: "chatMute") { table in
                table.column("chatId", .integer).notNull()
                /// An agent id or an alert kind.
                table.column("target", .text).notNull()
                table.column("until", .datetime).notNull().indexed()
                table.column("includesCritical", .boolean).notNull().defaults(to: false)
                table.column("mutedBy", .text).notNull()
                table.primaryKey(["chatId", "target"])
            }
            try db.alter(table: "digest") { table in
                /// The addresses the digest message listed when last shown: exactly what its block button blocks.
                table.add(column: "blockTargets", .text)
                table.add(column: "handledBy", .text)
                table.add(column: "handledAt", .datetime)
            }
            try db.create(index: "message_on_digestId", on: "message", columns: ["digestId"])
        }
        migrator.registerMigration("v5-audit-actor-id") { db in
            try db.alter(table: "audit") { table in
                /// The Telegram user id of the person who acted (nil for agents and the hub itself), so `bothub audit`
                /// can name them as configured.
                table.add(column: "actorId", .integer)
            }
        }
        migrator.registerMigration("v6-pending-choice") { db in
            try db.alter(table: "alert") { table in
                /// The choice being carried out while the alert is `handling` (set by the claim), so a hub restarted
                /// mid-dispatch knows what was chosen.
                table.add(column: "pendingChoice", .text)
                /// The sealed command's JSON, stored before it is sent: a restarted hub sends the same command id again,
                /// which the agent answers from its journal instead of running it twice.
                table.add(column: "pendingCommand", .text)
            }
        }
        migrator.registerMigration("v7-typed-states") { db in
            // SQLite adds a CHECK constraint only by rebuilding the table (sqlite.org/lang_altertable.html, "other
            // kinds of table schema changes"); the migrator runs with foreign keys off and checks them afterwards.
            let statuses = AlertStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let states = MessageState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let alertColumns =
                "id, shortId, agent, kind, severity, observedAt, receivedAt, payload, status, handledBy, handledAt, outcome, pendingChoice, pendingCommand"
            let messageColumns = "alertId, chatId, messageId, state, failure, createdAt, digestId"
            try db.execute(
                sql: """
                    CREATE TABLE alertTyped (
                        id TEXT PRIMARY KEY NOT NULL,
                        shortId TEXT NOT NULL UNIQUE,
                        agent TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        observedAt DATETIME NOT NULL,
                        receivedAt DATETIME NOT NULL,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN (\(statuses))),
                        handledBy TEXT,
                        handledAt DATETIME,
                        outcome TEXT,
                        pendingChoice TEXT,
                        pendingCommand TEXT
                    );
                    INSERT INTO alertTyped (rowid, \(alertColumns)) SELECT rowid, \(alertColumns) FROM alert;
                    DROP TABLE alert;
                    ALTER TABLE alertTyped RENAME TO alert;
                    CREATE INDEX alert_on_agent ON alert(agent);
                    CREATE INDEX alert_on_receivedAt ON alert(receivedAt);
                    CREATE TABLE messageTyped (
                        alertId TEXT NOT NULL REFERENCES alert(id) ON DELETE CASCADE,
                        chatId INTEGER NOT NULL,
                        messageId INTEGER,
                        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN (\(states))),
                        failure TEXT,
                        createdAt DATETIME NOT NULL,
                        digestId INTEGER,
                        PRIMARY KEY (alertId, chatId)
                    );
                    INSERT INTO messageTyped (rowid, \(messageColumns)) SELECT rowid, \(messageColumns) FROM message;
                    DROP TABLE message;
                    ALTER TABLE messageTyped RENAME TO message;
                    CREATE INDEX message_on_digestId ON message(digestId);
                    """)
        }
        registerVulnerabilityMigrations(&migrator)
        return migrator
    }
}

/// A stored alert with its decoded wire form.
struct StoredAlert: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    static let databaseTableName = "alert"

    var id: String
    var shortId: String
    var agent: String
    var kind: AlertKind
    var severity: Severity
    var observedAt: Date
    var receivedAt: Date
    var payload: String
    var status: AlertStatus
    var handledBy: String?
    var handledAt: Date?
    var outcome: String?
    /// While `handling`: the choice being carried out (`AlertAction` raw value, or `unblock`).
    var pendingChoice: String? = nil
    /// While `handling`: the command sent (or about to be sent) to the agent, as wire JSON.
    var pendingCommand: String? = nil

    /// The alert as the agent sent it.
    func decoded() throws -> Alert {
        try WireCoding.decode(Alert.self, from: Array(payload.utf8))
    }
}

/// One line of the audit trail.
struct AuditEntry: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    static let databaseTableName = "audit"

    var id: Int64?
    var at: Date
    var event: String
    var actor: String?
    var alertId: String?
    var detail: String
    /// The Telegram user id of the person who acted (nil for agents, the hub and older rows).
    var actorId: Int64?

    /// A new entry. Actor and detail often carry text from outside (a chat message, a display name, a hostname), so
    /// they are escaped here, where every entry is made, and no caller can forget it.
    init(at: Date, event: String, actor: String?, alertId: String?, detail: String, actorId: Int64? = nil) {
        self.at = at
        self.event = event
        self.actor = actor.map(AuditText.escaped)
        self.alertId = alertId
        self.detail = AuditText.escaped(detail)
        self.actorId = actorId
    }
}
