/// A document a bot uploaded with `sendDocument`.
struct FakeTelegramDocument: Sendable, Equatable {
    var chatID: Int64
    var fileName: String?
    /// The file's content (the fake keeps text uploads).
    var content: String
    var caption: String?
}
