/// A Bot API refusal as the fake sends it: the HTTP status equals `error_code`, the description is Telegram's text,
/// and `parameters` carries `retry_after` or `migrate_to_chat_id` when set. Also what `failNext` injects.
struct FakeTelegramFailure: Error, Sendable, Equatable {
    var status: Int
    var description: String
    var retryAfter: Int?
    var migrateToChatID: Int64?
    /// Sent instead of the JSON envelope, as a proxy in front of Telegram does (an HTML 502 page, say).
    var rawBody: String?

    init(status: Int, description: String? = nil, retryAfter: Int? = nil, migrateToChatID: Int64? = nil, rawBody: String? = nil) {
        // Telegram never answers 429 without saying how long to wait.
        let retryAfter = status == 429 ? retryAfter ?? 1 : retryAfter
        self.status = status
        self.description = description ?? Self.defaultDescription(status: status, retryAfter: retryAfter)
        self.retryAfter = retryAfter
        self.migrateToChatID = migrateToChatID
        self.rawBody = rawBody
    }

    static func badRequest(_ detail: String) -> FakeTelegramFailure {
        FakeTelegramFailure(status: 400, description: "Bad Request: \(detail)")
    }

    static let unauthorized = FakeTelegramFailure(status: 401, description: "Unauthorized")
    static let notFound = FakeTelegramFailure(status: 404, description: "Not Found")
    static let botBlocked = FakeTelegramFailure(status: 403, description: "Forbidden: bot was blocked by the user")
    static let chatNotFound = badRequest("chat not found")
    static let messageToEditNotFound = badRequest("message to edit not found")
    static let messageNotModified = badRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
    )
    static let queryTooOld = badRequest("query is too old and response timeout expired or query ID is invalid")
    static let buttonDataInvalid = badRequest("BUTTON_DATA_INVALID")
    static let otherPoller = FakeTelegramFailure(
        status: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
    static let webhookActive = FakeTelegramFailure(
        status: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

    static func tooManyRequests(retryAfter: Int) -> FakeTelegramFailure {
        FakeTelegramFailure(status: 429, retryAfter: retryAfter)
    }

    static func migrated(to chatID: Int64) -> FakeTelegramFailure {
        FakeTelegramFailure(status: 400, description: "Bad Request: group chat was upgraded to a supergroup chat", migrateToChatID: chatID)
    }

    /// `{"ok":false,"error_code":…,"description":…,"parameters":{…}}`.
    var envelope: TelegramJSON {
        var fields: [String: TelegramJSON] = ["ok": false, "error_code": .integer(Int64(status)), "description": .string(description)]
        var parameters: [String: TelegramJSON] = [:]
        if let retryAfter { parameters["retry_after"] = .integer(Int64(retryAfter)) }
        if let migrateToChatID { parameters["migrate_to_chat_id"] = .integer(migrateToChatID) }
        if !parameters.isEmpty { fields["parameters"] = .object(parameters) }
        return .object(fields)
    }

    private static func defaultDescription(status: Int, retryAfter: Int?) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 429: "Too Many Requests: retry after \(retryAfter ?? 1)"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }
}
