/// A test asked the fake for something Telegram could not do (press a button that is not there, write in a chat
/// that does not exist).
struct FakeTelegramControlError: Error, Sendable, CustomStringConvertible {
    var description: String
}
