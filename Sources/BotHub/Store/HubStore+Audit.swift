import Foundation
import GRDB

extension HubStore {
    /// Appends to the audit trail. Every alert, message, press (authorized or not), command and result is a row.
    ///
    /// For synchronous callers (the command line); async code uses the `async` overload, which waits for the write
    /// (a lock held by another connection, the commit's fsync) without holding a thread of the cooperative pool.
    func audit(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String, at: Date) throws {
        let entry = AuditEntry(at: at, event: event, actor: actor, alertId: alertID, detail: detail, actorId: actorID)
        try writer.write { db in try entry.insert(db) }
    }

    func audit(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String, at: Date) async throws {
        let entry = AuditEntry(at: at, event: event, actor: actor, alertId: alertID, detail: detail, actorId: actorID)
        try await write { db in try entry.insert(db) }
    }

    func auditEntries(since: Date) throws -> [AuditEntry] {
        try writer.read { db in
            try AuditEntry.filter(Column("at") >= since).order(Column("id")).fetchAll(db)
        }
    }
}
