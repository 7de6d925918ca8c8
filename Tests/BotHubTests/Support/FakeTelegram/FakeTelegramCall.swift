import Foundation

/// One request the fake received, as recorded for tests and the JSON-lines log. The token is never recorded.
struct FakeTelegramCall: Sendable, Equatable, Encodable {
    /// The method as named in the path (Telegram accepts any case).
    var method: String
    /// Every parameter, query string and body merged, as received (form values stay strings).
    var parameters: TelegramJSON
    /// The HTTP status answered (equal to `error_code` on failure).
    var status: Int
    /// The error description, when the call failed.
    var description: String?
    /// When the call arrived, by the fake's clock.
    var time: Date

    var succeeded: Bool { status == 200 }

    private enum CodingKeys: String, CodingKey {
        case method, parameters, status, description, time
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(time.timeIntervalSince1970, forKey: .time)
    }
}
