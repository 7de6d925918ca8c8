import Foundation

/// The subset of Bot API 10.1 objects the hub reads. Decoded with snake_case conversion; unknown fields are ignored.
struct TelegramUser: Codable, Sendable, Equatable {
    var id: Int64
    var isBot: Bool
    var firstName: String
    var lastName: String?
    var username: String?

    /// How the hub names a person in messages and the audit trail.
    var displayName: String {
        if let username { return "@\(username)" }
        return [firstName, lastName].compactMap { $0 }.joined(separator: " ")
    }
}

struct TelegramChat: Codable, Sendable, Equatable {
    var id: Int64
    /// `private`, `group`, `supergroup` or `channel`.
    var type: String
}

struct TelegramMessage: Codable, Sendable, Equatable {
    var messageId: Int64
    var date: Int64
    var chat: TelegramChat
    var from: TelegramUser?
    var text: String?
}

struct TelegramCallbackQuery: Codable, Sendable, Equatable {
    var id: String
    var from: TelegramUser
    var message: TelegramMessage?
    var data: String?
}

struct TelegramUpdate: Codable, Sendable, Equatable {
    var updateId: Int64
    var message: TelegramMessage?
    var callbackQuery: TelegramCallbackQuery?
}

/// One inline keyboard button; Vigil only uses callback buttons.
struct InlineButton: Codable, Sendable, Equatable {
    var text: String
    var callbackData: String
}

/// The Bot API's `ResponseParameters`.
struct TelegramResponseParameters: Codable, Sendable, Equatable {
    var migrateToChatId: Int64?
    var retryAfter: Int?
}

/// Every Bot API reply: `{ok, result}` or `{ok: false, error_code, description, parameters}`.
struct TelegramEnvelope<Result: Decodable & Sendable>: Decodable, Sendable {
    var ok: Bool
    var result: Result?
    var errorCode: Int?
    var description: String?
    var parameters: TelegramResponseParameters?
}

/// A refusal from the Bot API, decoded from its error envelope, or a transport failure (`code` 0).
struct TelegramError: Error, Sendable, Equatable, CustomStringConvertible {
    var method: String
    var code: Int
    var detail: String
    var retryAfter: Int?
    var migrateToChatID: Int64?

    /// Editing with identical content; harmless, counted as success.
    var isMessageNotModified: Bool { code == 400 && detail.contains("message is not modified") }
    /// Another process is calling getUpdates with this token (not the 409 for a webhook that is still set).
    var isConflict: Bool { code == 409 && !detail.contains("webhook") }
    /// The user blocked the bot or the bot left the chat.
    var isForbidden: Bool { code == 403 }
    /// Worth retrying later: rate limit, server error or network. (A reply that cannot be decoded is code -1: not
    /// transient, so a broken proxy cannot make the hub retry a message forever.)
    var isTransient: Bool { code == 429 || code >= 500 || code == 0 }

    var description: String { "\(method): \(code == 0 ? "network error" : "HTTP \(code)") \(detail)" }
}
