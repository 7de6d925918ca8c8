/// A message in a chat of the fake: the bot's (sent with `sendMessage`, perhaps edited since) or a user's
/// (`sendText`). This is what the chat shows now.
struct FakeTelegramMessage: Sendable, Equatable {
    var chatID: Int64
    var messageID: Int64
    /// The bot's id for the bot's messages, else the user's.
    var senderID: Int64
    var isFromBot: Bool
    /// Unix time, by the fake's clock.
    var date: Int64
    var editDate: Int64?
    /// The text as displayed, and its entities (bold, code, links…).
    var content: TelegramFormattedText
    /// The `text` parameter as sent (HTML source in HTML parse mode).
    var source: String
    var parseMode: String?
    /// The inline keyboard, row by row; empty when the message has none.
    var keyboard: [[FakeTelegramButton]]
    var editCount: Int

    /// The text as displayed.
    var text: String { content.text }

    /// Every button label, row by row, for compact assertions.
    var buttonLabels: [[String]] { keyboard.map { $0.map(\.text) } }

    /// Every button's `callback_data`, row by row.
    var callbackData: [[String?]] { keyboard.map { $0.map(\.callbackData) } }

    /// The `Message` object, with `from` and `chat` supplied by the server that knows them.
    func json(from sender: TelegramJSON, chat: TelegramJSON) -> TelegramJSON {
        var fields: [String: TelegramJSON] = [
            "message_id": .integer(messageID), "from": sender, "chat": chat, "date": .integer(date), "text": .string(content.text),
        ]
        if !content.entities.isEmpty { fields["entities"] = .array(content.entities.map(\.json)) }
        if let editDate { fields["edit_date"] = .integer(editDate) }
        if !keyboard.isEmpty { fields["reply_markup"] = .object(["inline_keyboard": .array(keyboard.map { .array($0.map(\.json)) })]) }
        return .object(fields)
    }
}
