import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Calls the Bot API over HTTPS with `URLSession` (JSON bodies), decoding every error envelope.
///
/// The token is part of the URL path, so URLs are never logged; errors carry the method name, not the URL.
struct TelegramClient: TelegramAPI, CustomStringConvertible, CustomReflectable {
    /// Never the token: services are logged by description, and reflection would otherwise print every field.
    var description: String { "TelegramClient(\(baseURL))" }
    var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL]) }

    private let baseURL: String
    private let token: String
    private let session: URLSession

    /// `apiURL` is `telegram.api_url` (`https://api.telegram.org` or a fake for tests).
    init(apiURL: String, token: String) {
        self.baseURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        // Long polls wait 50 s server-side; leave room before the client gives up.
        configuration.timeoutIntervalForRequest = 65
        self.session = URLSession(configuration: configuration)
    }

    func getMe() async throws(TelegramError) -> TelegramUser {
        try await call("getMe", EmptyParameters())
    }

    func deleteWebhook() async throws(TelegramError) {
        let _: Bool = try await call("deleteWebhook", DeleteWebhookParameters(dropPendingUpdates: false))
    }

    func getUpdates(offset: Int64?, timeout: Int) async throws(TelegramError) -> [TelegramUpdate] {
        try await call("getUpdates", GetUpdatesParameters(offset: offset, timeout: timeout, allowedUpdates: ["message", "callback_query"]))
    }

    func sendMessage(chatID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) -> TelegramMessage {
        try await call(
            "sendMessage",
            SendMessageParameters(
                chatId: chatID,
                text: html,
                parseMode: "HTML",
                linkPreviewOptions: LinkPreviewOptions(isDisabled: true),
                replyMarkup: keyboard.isEmpty ? nil : InlineKeyboardMarkup(inlineKeyboard: keyboard)
            )
        )
    }

    func editMessageText(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) {
        let parameters = EditMessageTextParameters(
            chatId: chatID,
            messageId: messageID,
            text: html,
            parseMode: "HTML",
            linkPreviewOptions: LinkPreviewOptions(isDisabled: true),
            replyMarkup: InlineKeyboardMarkup(inlineKeyboard: keyboard)
        )
        do {
            let _: TelegramMessage = try await call("editMessageText", parameters)
        } catch  where error.isMessageNotModified {
            // The message already shows this: the edit's goal is met.
        }
    }

    func answerCallbackQuery(id: String, text: String?, showAlert: Bool) async throws(TelegramError) {
        let _: Bool = try await call("answerCallbackQuery", AnswerCallbackQueryParameters(callbackQueryId: id, text: text, showAlert: showAlert))
    }

    private func call<Parameters: Encodable, Result: Decodable & Sendable>(
        _ method: String,
        _ parameters: Parameters
    ) async throws(TelegramError) -> Result {
        guard let url = URL(string: "\(baseURL)/bot\(token)/\(method)") else {
            throw TelegramError(method: method, code: 0, detail: "bad api_url")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let data: Data
        let response: URLResponse
        do {
            request.httpBody = try Self.encoder.encode(parameters)
            let session = session
            let prepared = request
            (data, response) = try await withCancellationShield { try await session.data(for: prepared) }
        } catch {
            throw TelegramError(method: method, code: 0, detail: Self.redact(error.localizedDescription, token: token))
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard let envelope = try? Self.decoder.decode(TelegramEnvelope<Result>.self, from: data) else {
            throw TelegramError(method: method, code: status == 200 ? -1 : status, detail: "undecodable reply (HTTP \(status))")
        }
        guard envelope.ok, let result = envelope.result else {
            throw TelegramError(
                method: method,
                code: envelope.errorCode ?? status,
                detail: envelope.description ?? "no description",
                retryAfter: envelope.parameters?.retryAfter,
                migrateToChatID: envelope.parameters?.migrateToChatId
            )
        }
        return result
    }

    /// Network errors may quote the URL, which contains the token.
    private static func redact(_ text: String, token: String) -> String {
        text.replacingOccurrences(of: token, with: "<token>")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

private struct EmptyParameters: Encodable {}

private struct DeleteWebhookParameters: Encodable {
    var dropPendingUpdates: Bool
}

private struct GetUpdatesParameters: Encodable {
    var offset: Int64?
    var timeout: Int
    var allowedUpdates: [String]
}

private struct LinkPreviewOptions: Encodable {
    var isDisabled: Bool
}

private struct InlineKeyboardMarkup: Encodable {
    var inlineKeyboard: [[InlineButton]]
}

private struct SendMessageParameters: Encodable {
    var chatId: Int64
    var text: String
    var parseMode: String
    var linkPreviewOptions: LinkPreviewOptions
    var replyMarkup: InlineKeyboardMarkup?
}

private struct EditMessageTextParameters: Encodable {
    var chatId: Int64
    var messageId: Int64
    var text: String
    var parseMode: String
    var linkPreviewOptions: LinkPreviewOptions
    var replyMarkup: InlineKeyboardMarkup
}

private struct AnswerCallbackQueryParameters: Encodable {
    var callbackQueryId: String
    var text: String?
    var showAlert: Bool
}
