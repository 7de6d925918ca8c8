import Foundation

/// A button press the fake turned into a `callback_query` update, waiting for its answer.
struct FakeTelegramCallbackQuery: Sendable {
    var id: String
    var chatID: Int64
    var messageID: Int64
    var userID: Int64
    var data: String
    var createdAt: Date
    var isAnswered = false
}
