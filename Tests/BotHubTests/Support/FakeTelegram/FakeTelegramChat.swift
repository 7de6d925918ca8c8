/// A chat the bot is in, with its messages and the faults a test set on it.
struct FakeTelegramChat: Sendable {
    /// Telegram's chat types; the fake picks one from the id unless told.
    enum Kind: String, Sendable {
        case `private`
        case group
        case supergroup
    }

    var id: Int64
    var kind: Kind
    var title: String
    /// The user blocked the bot: sending answers 403.
    var isBlocked = false
    /// The group became this supergroup: sending answers 400 with `migrate_to_chat_id`.
    var migratedTo: Int64?
    var messages: [FakeTelegramMessage] = []
    private(set) var lastMessageID: Int64 = 0

    init(id: Int64, kind: Kind? = nil, title: String? = nil) {
        self.id = id
        // Supergroup and channel ids are -100 followed by the channel number.
        self.kind = kind ?? (id > 0 ? .private : id <= -1_000_000_000_000 ? .supergroup : .group)
        self.title = title ?? "Vigil chat \(id)"
    }

    /// Message ids count up per chat.
    mutating func nextMessageID() -> Int64 {
        lastMessageID += 1
        return lastMessageID
    }

    func index(of messageID: Int64) -> Int? {
        messages.firstIndex { $0.messageID == messageID }
    }
}
