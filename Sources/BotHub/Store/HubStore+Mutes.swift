import Foundation
import GRDB
import Shared

/// A `/mute` in one chat: alerts of an agent or a kind are stored and audited but not shown there until `until`.
struct ChatMute: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    static let databaseTableName = "chatMute"

    var chatId: Int64
    /// An agent id or an alert kind.
    var target: String
    var until: Date
    /// Only an admin's explicit `/mute … critical` silences critical alerts too.
    var includesCritical: Bool
    var mutedBy: String

    /// True if this mute hides `alert` in `chatID`.
    func hides(_ alert: StoredAlert, in chatID: Int64) -> Bool {
        chatId == chatID
            && (target == alert.agent || target == alert.kind.rawValue || target == Self.kindOfAgent(alert.kind, alert.agent)
                || mutesProgram(of: alert))
            && (includesCritical || alert.severity != .critical)
    }

    /// The target of a mute of one kind from one agent (`security_updates@web-1`, what Snooze sets).
    static func kindOfAgent(_ kind: AlertKind, _ agent: String) -> String { "\(kind.rawValue)@\(agent)" }

    /// A Mute program target (`program:<agent>:<exe>`) naming this new_listener alert's agent and executable. The
    /// executable is in the payload only, read when such a mute exists and the alert is a listener's; a payload that
    /// does not decode is not muted (showing it is the safe side).
    private func mutesProgram(of alert: StoredAlert) -> Bool {
        guard alert.kind == .newListener, target.hasPrefix("program:"), let decoded = try? alert.decoded(),
            case .listener(let listener) = decoded.subject, let exe = listener.exe
        else { return false }
        return target == ChatMute.programTarget(agent: alert.agent, executable: exe)
    }
}

extension HubStore {
    /// For synchronous callers (`bothub mute`); async code uses the `async` overload.
    func mute(_ mute: ChatMute) throws {
        try writer.write { db in try mute.upsert(db) }
    }

    func mute(_ mute: ChatMute) async throws {
        try await write { db in try mute.upsert(db) }
    }

    /// Lifts the mute of `target` in `chatID` only; false if there was none.
    func unmute(_ target: String, in chatID: Int64) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM chatMute WHERE chatId = ? AND target = ?", arguments: [chatID, target])
            return db.changesCount > 0
        }
    }

    /// Mutes in force at `now`, in every chat.
    func activeMutes(now: Date) throws -> [ChatMute] {
        try writer.read { db in try ChatMute.filter(Column("until") > now).fetchAll(db) }
    }
}
