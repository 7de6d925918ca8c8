import Foundation
import GRDB

extension HubStore {
    /// Appends to the audit trail. Every alert, message, press (authorized or not), command and result is a row.
    func audit(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String, at: Date) throws {
        try writer.write { db in
            let entry = AuditEntry(at: at, event: event, actor: actor, alertId: alertID, detail: detail, actorId: actorID)
            try entry.insert(db)
        }
    }

    func auditEntries(since: Date) throws -> [AuditEntry] {
        try writer.read { db in
            try AuditEntry.filter(Column("at") >= since).order(Column("id")).fetchAll(db)
        }
    }
}
