/// A Telegram user the fake knows: who presses buttons and writes commands.
struct FakeTelegramUser: Sendable, Equatable {
    var id: Int64
    var firstName: String
    var lastName: String?
    var username: String?
    var languageCode: String?

    init(id: Int64, firstName: String, lastName: String? = nil, username: String? = nil, languageCode: String? = "en") {
        self.id = id
        self.firstName = firstName
        self.lastName = lastName
        self.username = username
        self.languageCode = languageCode
    }

    /// Someone the test did not describe: a plausible person named after the id.
    static func placeholder(id: Int64) -> FakeTelegramUser {
        FakeTelegramUser(id: id, firstName: "User \(id)", username: "user\(id)")
    }

    /// The `User` object.
    var json: TelegramJSON {
        var fields: [String: TelegramJSON] = ["id": .integer(id), "is_bot": false, "first_name": .string(firstName)]
        if let lastName { fields["last_name"] = .string(lastName) }
        if let username { fields["username"] = .string(username) }
        if let languageCode { fields["language_code"] = .string(languageCode) }
        return .object(fields)
    }
}
