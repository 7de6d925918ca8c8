/// The bot's pending updates with Telegram's `getUpdates` bookkeeping: increasing `update_id`s, confirmation by
/// `offset` (confirmed updates are gone for good) and the `allowed_updates` filter. Pure: the server adds waiting.
struct FakeTelegramUpdateQueue: Sendable {
    /// What Telegram sends when `allowed_updates` is empty or was never set.
    static let defaultExcluded: Set<String> = ["chat_member", "message_reaction", "message_reaction_count"]

    private var pending: [(id: Int64, kind: String, payload: TelegramJSON)] = []
    private(set) var nextID: Int64
    /// nil: everything but `defaultExcluded`.
    private(set) var allowed: Set<String>?

    init(firstID: Int64) {
        nextID = firstID
    }

    var count: Int { pending.count }
    var isEmpty: Bool { pending.isEmpty }

    /// Adds an update of `kind` (`message`, `callback_query`…) unless the filter excludes it; Telegram does not even
    /// create an update the bot did not ask for. Returns its id.
    mutating func enqueue(kind: String, payload: TelegramJSON) -> Int64? {
        guard allows(kind) else { return nil }
        let id = nextID
        nextID += 1
        pending.append((id, kind, payload))
        return id
    }

    /// `offset` > 0 confirms every update below it; a negative offset keeps only the last `-offset` updates.
    mutating func confirm(offset: Int64) {
        if offset > 0 {
            pending.removeAll { $0.id < offset }
        } else if offset < 0 {
            pending = Array(pending.suffix(Int(clamping: -offset)))
        }
    }

    /// An empty list restores the default, as in the Bot API.
    mutating func setAllowed(_ kinds: [String]) {
        allowed = kinds.isEmpty ? nil : Set(kinds)
    }

    mutating func removeAll() {
        pending.removeAll()
    }

    /// The first `limit` unconfirmed updates as `Update` objects; they stay until confirmed.
    func batch(limit: Int) -> [TelegramJSON] {
        pending.prefix(limit).map { update in .object(["update_id": .integer(update.id), update.kind: update.payload]) }
    }

    private func allows(_ kind: String) -> Bool {
        if let allowed { return allowed.contains(kind) }
        return !Self.defaultExcluded.contains(kind)
    }
}
