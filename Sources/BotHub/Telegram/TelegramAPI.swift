/// The Bot API methods the hub calls. `TelegramClient` talks to Telegram (or a fake); tests may record calls.
protocol TelegramAPI: Sendable {
    func getMe() async throws(TelegramError) -> TelegramUser
    func deleteWebhook() async throws(TelegramError)
    /// Long-polls for updates after `offset`, waiting up to `timeout` seconds.
    func getUpdates(offset: Int64?, timeout: Int) async throws(TelegramError) -> [TelegramUpdate]
    func sendMessage(chatID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) -> TelegramMessage
    func editMessageText(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError)
    func answerCallbackQuery(id: String, text: String?, showAlert: Bool) async throws(TelegramError)
    /// Uploads `bytes` as a document named `fileName` (multipart/form-data), with an HTML caption.
    func sendDocument(chatID: Int64, fileName: String, bytes: [UInt8], caption: String?) async throws(TelegramError) -> TelegramMessage
}
