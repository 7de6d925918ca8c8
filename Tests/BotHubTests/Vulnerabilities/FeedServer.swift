import Foundation
import Logging
import Shared
import Synchronization

/// A loopback server for the feed updater: answers `GET /tracker.json` (and `GET /kev.json`, CISA's KEV catalog) as the
/// test scripts it, and records each request's headers.
final class FeedServer: Sendable {
    enum Answer: Sendable {
        /// 200 with this body and ETag.
        case feed([UInt8], etag: String)
        /// 304 when the request's If-None-Match is this ETag, else 200 with the body.
        case conditional([UInt8], etag: String)
        /// Any status with a short body.
        case status(Int)
    }

    private let state = Mutex<(answer: Answer, requests: [HTTPHeaders], kevAnswer: Answer, kevRequests: [HTTPHeaders])>(
        (.status(503), [], .status(404), []))

    var answer: Answer {
        get { state.withLock { $0.answer } }
        set { state.withLock { $0.answer = newValue } }
    }

    var requests: [HTTPHeaders] { state.withLock { $0.requests } }

    /// What `GET /kev.json` answers.
    var kevAnswer: Answer {
        get { state.withLock { $0.kevAnswer } }
        set { state.withLock { $0.kevAnswer = newValue } }
    }

    var kevRequests: [HTTPHeaders] { state.withLock { $0.kevRequests } }

    /// The KEV catalog's URL beside the tracker's `url`.
    static func kevURL(_ url: String) -> String { url.replacingOccurrences(of: "/tracker.json", with: "/kev.json") }

    /// Runs `body` with the server listening on 127.0.0.1; its argument is the feed's URL.
    func serve<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        var router = HTTPRouter()
        router.add("GET", "/tracker.json") { [self] request in respond(request, kev: false) }
        router.add("GET", "/kev.json") { [self] request in respond(request, kev: true) }
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: router, logger: Logger(label: "feed-server"))
        let task = Task { try await server.serve() }
        defer { task.cancel() }
        let port = try await server.listeningPort()
        return try await body("http://127.0.0.1:\(port)/tracker.json")
    }

    private func respond(_ request: HTTPRequest, kev: Bool) -> HTTPResponse {
        let answer = state.withLock { state in
            if kev {
                state.kevRequests.append(request.headers)
                return state.kevAnswer
            }
            state.requests.append(request.headers)
            return state.answer
        }
        switch answer {
        case .feed(let body, let etag):
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("ETag", etag)]), body: body)
        case .conditional(let body, let etag):
            if request.headers["If-None-Match"] == etag { return HTTPResponse(status: HTTPStatus(code: 304, reason: "Not Modified")) }
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("ETag", etag)]), body: body)
        case .status(let code):
            return HTTPResponse(status: HTTPStatus(code: code, reason: "Scripted"), body: Array("scripted \(code)\n".utf8))
        }
    }
}
