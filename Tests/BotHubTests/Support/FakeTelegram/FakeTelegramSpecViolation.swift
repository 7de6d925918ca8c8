/// A call (or one of the fake's own replies) that does not match the Bot API spec subset.
struct FakeTelegramSpecViolation: Sendable, Equatable, CustomStringConvertible {
    /// The method called; replies are recorded as "`<method>` reply".
    var method: String
    var problem: String

    var description: String { "\(method): \(problem)" }
}
