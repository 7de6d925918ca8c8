import Foundation
import GRDB
import Shared

/// A fleet-view Upgrade button as stored: its own short id (the `callback_data` names it), what it upgrades, when
/// it was made.
struct StoredFleetUpgrade: Sendable, Equatable {
    var shortID: String
    var target: FleetUpgradeTarget
    var createdAt: Date
}

extension HubStore {
    /// Stores a button's target under a new short id, which it returns; buttons older than `keep` are dropped.
    func saveFleetUpgrade(_ target: FleetUpgradeTarget, now: Date, keep: TimeInterval = 7 * 86_400) throws -> String {
        let shortID = ShortID.make(UUID(), length: 16)
        let text = String(decoding: try WireCoding.encode(target), as: UTF8.self)
        try writer.write { db in
            try db.execute(sql: "DELETE FROM fleetUpgrade WHERE createdAt < ?", arguments: [now.addingTimeInterval(-keep)])
            try db.execute(sql: "INSERT INTO fleetUpgrade (shortId, target, createdAt) VALUES (?, ?, ?)", arguments: [shortID, text, now])
        }
        return shortID
    }

    func fleetUpgrade(shortID: String) throws -> StoredFleetUpgrade? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT target, createdAt FROM fleetUpgrade WHERE shortId = ?", arguments: [shortID]) else {
                return nil
            }
            let text: String = row[0]
            return StoredFleetUpgrade(
                shortID: shortID, target: try WireCoding.decode(FleetUpgradeTarget.self, from: Array(text.utf8)), createdAt: row[1])
        }
    }

    /// Keeps the simulated plans for `userID`'s second tap until `expiresAt` (replacing any pending ones).
    func saveFleetUpgradePlans(shortID: String, plans: FleetUpgradePlans, userID: Int64, expiresAt: Date) throws {
        let text = String(decoding: try WireCoding.encode(plans), as: UTF8.self)
        try writer.write { db in
            try db.execute(
                sql: "UPDATE fleetUpgrade SET pending = ?, userId = ?, expiresAt = ? WHERE shortId = ?",
                arguments: [text, userID, expiresAt, shortID])
        }
    }

    /// Takes (and clears) the pending plans if they are `userID`'s, hash to `hash` and are unexpired; nil otherwise.
    /// A nil `hash` only clears them (Cancel).
    func takeFleetUpgradePlans(shortID: String, userID: Int64, hash: String?, now: Date) throws -> FleetUpgradePlans? {
        try writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT pending, expiresAt FROM fleetUpgrade WHERE shortId = ? AND userId = ? AND pending IS NOT NULL",
                    arguments: [shortID, userID])
            else { return nil }
            try db.execute(sql: "UPDATE fleetUpgrade SET pending = NULL, userId = NULL, expiresAt = NULL WHERE shortId = ?", arguments: [shortID])
            let text: String = row[0]
            let expiresAt: Date = row[1]
            let plans = try WireCoding.decode(FleetUpgradePlans.self, from: Array(text.utf8))
            guard let hash, plans.hash == hash, expiresAt > now else { return nil }
            return plans
        }
    }
}
