import Foundation

/// Calls the Bot API over HTTPS with libcurl (`CurlTransferLoop`; JSON bodies), decoding every error envelope.
///
/// The token is part of the URL path, so URLs are never logged; errors carry the method name, not the URL.
struct TelegramClient: TelegramAPI, CustomStringConvertible, CustomReflectable {
    /// How long and how much the client waits for Telegram.
    struct Limits: Sendable {
        /// Until the connection (through a proxy, if the environment names one) and its TLS handshake are up.
        var connect: Duration = .seconds(10)
        /// Every call but a long poll, from start to the last byte of the reply.
        var request: Duration = .seconds(30)
        /// Added to a long poll's own `timeout`, after which Telegram answers an empty list.
        var longPollGrace: Duration = .seconds(15)
        /// The largest reply accepted. A full `getUpdates` batch (100 updates of 4096-character messages) is well
        /// under 4 MiB; anything bigger is not Telegram.
        var replyBytes = 8 << 20
    }

    /// Never the token: services are logged by description, and reflection would otherwise print every field.
    var description: String { "TelegramClient(\(baseURL))" }
    var customMirror: Mirror { Mirror(self, children: ["baseURL": baseURL]) }

    private let baseURL: String
    private let token: String
    private let limits: Limits

    /// `apiURL` is `telegram.api_url` (`https://api.telegram.org` or a fake for tests).
    init(apiURL: String, token: String, limits: Limits = Limits()) {
        self.baseURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.token = token
        self.limits = limits
    }

    func getMe() async throws(TelegramError) -> TelegramUser {
        try await call("getMe", EmptyParameters())
    }

    func deleteWebhook() async throws(TelegramError) {
        let _: Bool = try await call("deleteWebhook", DeleteWebhookParameters(dropPendingUpdates: false))
    }

    func getUpdates(offset: Int64?, timeout: Int) async throws(TelegramError) -> [TelegramUpdate] {
        try await call(
            "getUpdates",
            GetUpdatesParameters(offset: offset, timeout: timeout, allowedUpdates: ["message", "callback_query"]),
            waiting: .seconds(max(0, timeout)) + limits.longPollGrace
        )
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

    func sendDocument(chatID: Int64, fileName: String, bytes: [UInt8], caption: String?) async throws(TelegramError) -> TelegramMessage {
        var form = MultipartForm()
        form.add("chat_id", String(chatID))
        if let caption {
            form.add("caption", caption)
            form.add("parse_mode", "HTML")
        }
        form.addFile("document", fileName: fileName, contentType: "text/csv", bytes: bytes)
        return try await send("sendDocument", body: Data(form.body), contentType: form.contentType, waiting: nil)
    }

    private func call<Parameters: Encodable, Result: Decodable & Sendable>(
        _ method: String,
        _ parameters: Parameters,
        waiting timeout: Duration? = nil
    ) async throws(TelegramError) -> Result {
        let body: Data
        do {
            body = try Self.encoder.encode(parameters)
        } catch {
            throw TelegramError(method: method, code: 0, detail: "cannot encode the parameters: \(error)")
        }
        return try await send(method, body: body, contentType: "application/json", waiting: timeout)
    }

    private func send<Result: Decodable & Sendable>(
        _ method: String, body: Data, contentType: String, waiting timeout: Duration?
    ) async throws(TelegramError) -> Result {
        let request = CurlRequest(
            url: "\(baseURL)/bot\(token)/\(method)",
            body: body,
            contentType: contentType,
            connectTimeout: limits.connect,
            totalTimeout: timeout ?? limits.request,
            maxResponseBytes: limits.replyBytes
        )
        let response: CurlResponse
        do {
            response = try await CurlTransferLoop.shared.perform(request)
        } catch {
            // An oversized reply is not transient (-1, like an undecodable one): a broken proxy must not make the hub
            // retry a message forever.
            throw TelegramError(method: method, code: error.isTooLarge ? -1 : 0, detail: Self.redact(error.description, token: token))
        }
        let status = response.status
        guard let envelope = try? Self.decoder.decode(TelegramEnvelope<Result>.self, from: response.body) else {
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
