import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
        let url = try #require(URL(string: baseURL + path))
        var request = URLRequest(url: url)
        request.httpMethod = body == nil ? "GET" : "POST"
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return Reply(status: status, envelope: try #require(TelegramJSON.parse(data)))
    }
}
