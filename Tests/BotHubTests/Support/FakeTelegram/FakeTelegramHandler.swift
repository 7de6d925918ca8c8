import Shared

/// Hands each HTTP request to the fake; the server's connection handling stays the project's own.
struct FakeTelegramHandler: HTTPHandler {
    let server: FakeTelegramServer

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await server.respond(to: request)
    }
}
