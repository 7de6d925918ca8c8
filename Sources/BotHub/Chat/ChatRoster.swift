import Logging
import Shared

/// The configured chats and what became of them: a group upgraded to a supergroup keeps its operators and language
/// under its new id, and alerts follow it there.
struct ChatRoster: Sendable {
    let chats: [TelegramConfiguration.Chat]
    let store: HubStore
    let defaultLanguage: String
    /// Reports a failed lookup (logged and counted); the configured value is used meanwhile.
    var storeErrors = StoreErrorReporter(logger: Logger(label: "bothub.roster"))

    /// The configuration of `chatID`, directly or through a migration.
    func configured(_ chatID: Int64) -> TelegramConfiguration.Chat? {
        if let chat = chats.first(where: { $0.id == chatID }) { return chat }
        guard let found = storeErrors.attempt("read_chat_migration", { try store.migratedFrom(chatID) }), let original = found else { return nil }
        return chats.first { $0.id == original }
    }

    /// The chat's language: chosen with /lang, else configured, else the hub's.
    func language(of chatID: Int64) -> String {
        (storeErrors.attempt("read_chat_language", { try store.chatLanguage(chatID) }) ?? nil) ?? configured(chatID)?.language ?? defaultLanguage
    }

    /// Where new alerts are sent: each configured chat's current id.
    func deliveryChatIDs() -> [Int64] {
        chats.map { chat in storeErrors.attempt("read_current_chat", { try store.currentChatID(for: chat.id) }) ?? chat.id }
    }
}
