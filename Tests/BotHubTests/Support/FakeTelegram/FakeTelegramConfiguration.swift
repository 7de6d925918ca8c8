import Foundation

/// How a `FakeTelegramServer` behaves. Every field has a default that matches Telegram.
struct FakeTelegramConfiguration: Sendable {
    /// `<bot id>:<secret>`, as @BotFather issues them; the bot's user id is the part before the colon.
    var token = "7000000001:AAFakeTokenForVigilTests_abcdefghijklmno"
    var botUsername = "vigil_test_bot"
    var botFirstName = "Vigil"
    /// Chats the bot is a member of (private: positive ids; groups: negative). Others answer "chat not found".
    var chats: [Int64] = []
    /// Users with names; anyone else who presses or writes gets a placeholder name.
    var users: [FakeTelegramUser] = []
    /// Answer 429 past the per-chat limits (otherwise only record, see `rateViolations`).
    var enforcesRateLimits = false
    var privateChatInterval: Duration = .seconds(1)
    var groupMessagesPerMinute = 20
    var rateTolerance: Duration = .milliseconds(50)
    /// How long a callback query can be answered (Telegram: about 15 s).
    var callbackQueryLifetime: Duration = .seconds(15)
    var htmlStrictness: TelegramHTMLParser.Strictness = .documented
    /// Where to append every call as one JSON line, if anywhere.
    var callLogURL: URL?
    var firstUpdateID: Int64 = 500_000_001
    /// Caps a long poll's real wait below its `timeout`, for tests of slow-polling clients.
    var maximumPollWait: Duration?
    /// A webhook is set: `getUpdates` answers 409 until `deleteWebhook`.
    var hasWebhook = false

    init() {}

    /// The bot's user id, read from the token.
    var botID: Int64 { Int64(token.prefix { $0 != ":" }) ?? 1 }
}
