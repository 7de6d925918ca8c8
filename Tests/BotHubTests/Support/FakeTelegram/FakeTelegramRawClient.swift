import Foundation
import Testing

@testable import BotHub

/// Sends hand-made requests to a fake, to test the fake itself: the hub's client only ever sends valid calls, so the
/// checks for invalid ones need a client that can send anything.
struct FakeTelegramRawClient: Sendable {
    /// What came back: the HTTP status and the JSON envelope.
    struct Reply: Sendable {
        var status: Int
        var envelope: TelegramJSON

        var description: String? { envelope["description"]?.stringValue }
        var result: TelegramJSON? { envelope["result"] }
    }

    let baseURL: String
    let token: String

    /// POSTs `body` as JSON to `method`.
    func call(_ method: String, json body: String) async throws -> Reply {
        try await send(path: "/bot\(token)/\(method)", body: Data(body.utf8), contentType: "application/json")
    }

    /// POSTs `body` as `application/x-www-form-urlencoded` to `method`.
    func call(_ method: String, form body: String) async throws -> Reply {
        try await send(path: "/bot\(token)/\(method)", body: Data(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    /// GETs `path` (with its query string) as given.
    func get(_ path: String) async throws -> Reply {
        try await send(path: path, body: nil, contentType: nil)
    }

    private func send(path: String, body: Data?, contentType: String?) async throws -> Reply {
        // The hub's own transport; nothing here needs more than a plain request.
        var request = CurlRequest(
            url: baseURL + path, body: body, connectTimeout: .seconds(10), totalTimeout: .seconds(30), maxResponseBytes: 1 << 20)
        if let contentType { request.contentType = contentType }
        let response = try await CurlTransferLoop.shared.perform(request)
        return Reply(status: response.status, envelope: try #require(TelegramJSON.parse(response.body)))
    }
}
