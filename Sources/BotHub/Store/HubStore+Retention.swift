import Foundation
import GRDB

/// What one prune removed, for the log line.
struct PruneCounts: Sendable, Equatable {
    var alerts = 0
    var messages = 0
    var digests = 0
    var confirmations = 0
    var auditEntries = 0
    var processedUpdates = 0
    var blocks = 0
    var mutes = 0
}

extension HubStore {
    /// Deletes what is older than `cutoff`, in one transaction: alerts received before it (with their messages),
    /// digests whose last alert came before it and that no kept message points to, confirmations, audit rows,
    /// taken update ids, and blocks and mutes that ended before it. An alert still `handling` (a command in
    /// flight, or a hub stopped mid-choice) is kept whatever its age, so its outcome can still be recorded.
    func prune(before cutoff: Date) async throws -> PruneCounts {
        try await write { db in
            func delete(_ sql: String) throws -> Int {
                try db.execute(sql: sql, arguments: [cutoff])
                return db.changesCount
            }
            var counts = PruneCounts()
            counts.messages = try delete(
                "DELETE FROM message WHERE alertId IN (SELECT id FROM alert WHERE receivedAt < ? AND status != 'handling')")
            counts.alerts = try delete("DELETE FROM alert WHERE receivedAt < ? AND status != 'handling'")
            counts.digests = try delete(
                "DELETE FROM digest WHERE lastAlertAt < ? AND NOT EXISTS (SELECT 1 FROM message WHERE message.digestId = digest.id)")
            counts.confirmations = try delete("DELETE FROM confirmation WHERE expiresAt < ?")
            counts.auditEntries = try delete("DELETE FROM audit WHERE at < ?")
            // Telegram redelivers an update for at most 24 h, so ids this old can never come back.
            counts.processedUpdates = try delete("DELETE FROM processedUpdate WHERE at < ?")
            counts.blocks = try delete("DELETE FROM block WHERE until IS NOT NULL AND until < ?")
            counts.mutes = try delete("DELETE FROM chatMute WHERE until < ?")
            return counts
        }
    }
}
