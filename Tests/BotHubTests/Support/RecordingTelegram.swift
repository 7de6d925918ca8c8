import Foundation

@testable import BotHub

/// An in-process `TelegramAPI` that records every call, for unit tests of the hub's logic. (End-to-end tests use the
/// HTTP `FakeTelegramServer` instead.)
actor RecordingTelegram: TelegramAPI {
    struct Sent: Equatable {
        var chatID: Int64
        var messageID: Int64
        var html: String
        var keyboard: [[InlineButton]]
    }

    struct Answer: Equatable {
        var id: String
        var text: String?
        var showAlert: Bool
    }

    struct Document: Equatable {
        var chatID: Int64
        var fileName: String
        var bytes: [UInt8]
        var caption: String?
    }

    private(set) var messages: [Sent] = []
    private(set) var documents: [Document] = []
    private(set) var answers: [Answer] = []
    private(set) var edits = 0
    private var nextMessageID: Int64 = 100
    private var failures: [TelegramError] = []

    /// Makes the next `sendMessage` fail with `error`.
    func failNextSend(_ error: TelegramError) {
        failures.append(error)
    }

    func getMe() async throws(TelegramError) -> TelegramUser {
        TelegramUser(id: 1, isBot: true, firstName: "Vigil", username: "vigil_bot")
    }

    func deleteWebhook() async throws(TelegramError) {}

    func getUpdates(offset: Int64?, timeout: Int) async throws(TelegramError) -> [TelegramUpdate] { [] }

    func sendMessage(chatID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) -> TelegramMessage {
        if !failures.isEmpty { throw failures.removeFirst() }
        nextMessageID += 1
        messages.append(Sent(chatID: chatID, messageID: nextMessageID, html: html, keyboard: keyboard))
        return TelegramMessage(
            messageId: nextMessageID, date: 0, chat: TelegramChat(id: chatID, type: chatID < 0 ? "supergroup" : "private"), text: html)
    }

    func editMessageText(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) {
        guard let index = messages.firstIndex(where: { $0.chatID == chatID && $0.messageID == messageID }) else {
            throw TelegramError(method: "editMessageText", code: 400, detail: "Bad Request: message to edit not found")
        }
        messages[index].html = html
        messages[index].keyboard = keyboard
        edits += 1
    }

    func answerCallbackQuery(id: String, text: String?, showAlert: Bool) async throws(TelegramError) {
        answers.append(Answer(id: id, text: text, showAlert: showAlert))
    }

    func sendDocument(chatID: Int64, fileName: String, bytes: [UInt8], caption: String?) async throws(TelegramError) -> TelegramMessage {
        nextMessageID += 1
        documents.append(Document(chatID: chatID, fileName: fileName, bytes: bytes, caption: caption))
        return TelegramMessage(
            messageId: nextMessageID, date: 0, chat: TelegramChat(id: chatID, type: chatID < 0 ? "supergroup" : "private"), text: nil)
    }

    func message(_ messageID: Int64) -> Sent? {
        messages.first { $0.messageID == messageID }
    }
}
