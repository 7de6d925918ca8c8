import Foundation

/// An accepted `answerCallbackQuery`: what the presser saw as a toast (or an alert with `showAlert`).
struct FakeTelegramCallbackAnswer: Sendable, Equatable {
    var queryID: String
    var text: String?
    var showAlert: Bool
    var time: Date
}
