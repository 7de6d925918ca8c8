import Foundation
import GRDB
import Shared

extension HubStore {
    func recordHeartbeat(_ heartbeat: Heartbeat, payload: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO heartbeat (agent, lastSeen, payload) VALUES (?, ?, ?)
                    ON CONFLICT(agent) DO UPDATE SET lastSeen = excluded.lastSeen, payload = excluded.payload
                    """,
                arguments: [heartbeat.agent, at, payload]
            )
        }
    }

    /// When each agent last sent a heartbeat.
    func lastHeartbeats() throws -> [String: Date] {
        try writer.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT agent, lastSeen FROM heartbeat").map { ($0["agent"], $0["lastSeen"]) })
        }
    }

    /// Open alerts per agent.
    func openAlertCounts() throws -> [String: Int] {
        try writer.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT agent, COUNT(*) AS n FROM alert WHERE status = 'open' GROUP BY agent")
                    .map { ($0["agent"], $0["n"]) }
            )
        }
    }

    /// Records an active block so `/blocks` can list it; `until` nil means permanent.
    func recordBlock(agent: String, ip: String, until: Date?, alertID: String?, by actor: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO block (agent, ip, until, alertId, blockedBy, blockedAt) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(agent, ip) DO UPDATE SET until = excluded.until, alertId = excluded.alertId,
                    blockedBy = excluded.blockedBy, blockedAt = excluded.blockedAt
                    """,
                arguments: [agent, ip, until, alertID, actor, at]
            )
        }
    }

    func removeBlock(agent: String, ip: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM block WHERE agent = ? AND ip = ?", arguments: [agent, ip])
        }
    }

    /// Blocks that have not expired, per agent.
    func activeBlocks(now: Date) throws -> [(agent: String, ip: String, until: Date?, alertID: String?)] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT agent, ip, until, alertId FROM block WHERE until IS NULL OR until > ? ORDER BY agent, ip",
                arguments: [now]
            ).map { ($0["agent"], $0["ip"], $0["until"], $0["alertId"]) }
        }
    }
}

extension HubStore {
    func isMarkedOffline(_ agent: String) async throws -> Bool {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: ["offline.\(agent)"]) == "1"
        }
    }

    func markOffline(_ agent: String, _ offline: Bool) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: ["offline.\(agent)", offline ? "1" : "0"]
            )
        }
    }
}
