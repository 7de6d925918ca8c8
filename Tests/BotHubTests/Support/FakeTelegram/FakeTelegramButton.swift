/// One inline keyboard button as the fake stored it.
struct FakeTelegramButton: Sendable, Equatable {
    var text: String
    var callbackData: String?
    var url: String?
    /// The button exactly as sent, so two keyboards compare the way Telegram compares them.
    var json: TelegramJSON

    /// The fields of which an inline button must have exactly one (a plain text button is refused).
    static let actionFields = [
        "url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
    ]

    init(json: TelegramJSON) {
        self.text = json["text"]?.stringValue ?? ""
        self.callbackData = json["callback_data"]?.stringValue
        self.url = json["url"]?.stringValue
        self.json = json
    }
}
