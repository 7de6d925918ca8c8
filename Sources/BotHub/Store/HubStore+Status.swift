import Foundation
import GRDB
import Shared

/// What Telegram last did for the hub: written by the running hub when it changes, read by `bothub status`.
struct TelegramReachability: Codable, Sendable, Equatable {
    var reachable: Bool
    /// When this state was first seen.
    var since: Date
    /// The last call's time (updated at most once a minute while the state holds).
    var lastCallAt: Date
    /// Why the last call failed, when it did.
    var error: String?
}

extension HubStore {
    /// Each agent's last heartbeat as it was sent.
    func heartbeats() throws -> [String: (at: Date, heartbeat: Heartbeat?)] {
        try writer.read { db in
            var result: [String: (at: Date, heartbeat: Heartbeat?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT agent, lastSeen, payload FROM heartbeat") {
                let payload: String = row["payload"]
                // A payload from an older agent that no longer decodes still tells when the agent was last seen.
                let heartbeat = try? WireCoding.decode(Heartbeat.self, from: Array(payload.utf8))
                result[row["agent"]] = (row["lastSeen"], heartbeat)
            }
            return result
        }
    }

    func telegramReachability() throws -> TelegramReachability? {
        try writer.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'telegram.reachability'") else { return nil }
            return try JSONDecoder.iso8601.decode(TelegramReachability.self, from: Data(text.utf8))
        }
    }

    func saveTelegramReachability(_ reachability: TelegramReachability) throws {
        let text = String(decoding: try JSONEncoder.iso8601.encode(reachability), as: UTF8.self)
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO setting (key, value) VALUES ('telegram.reachability', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [text]
            )
        }
    }
}

extension JSONEncoder {
    fileprivate static var iso8601: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    fileprivate static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
