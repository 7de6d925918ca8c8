import Logging
import Testing

@testable import Shared

/// Handlers called straight through `InProcessTransport`: the same request bytes and limits as a socket, no port.
@Suite("In-process transport")
struct InProcessTransportTests {
    static let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 7070)

    /// Answers with what it was given, so a test sees the request as a handler sees it.
    struct Mirror: HTTPHandler {
        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            let seen = "\(request.method) \(request.target) host=\(request.headers["Host"] ?? "-") body=\(request.body.count)"
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("X-Seen", "yes")]), body: Array(seen.utf8))
        }
    }

    @Test("a request reaches the handler as the server would parse it, and the reply as the client would read it")
    func roundTrip() async throws {
        let reply = try await InProcessTransport(handler: Mirror()).send(
            HTTPRequest(method: "POST", target: "/alert?x=1", body: Array("hello".utf8)), to: Self.endpoint)
        #expect(reply.status == 200)
        #expect(reply.headers["X-Seen"] == "yes")
        #expect(reply.headers["Content-Length"] == "\(reply.body.count)")
        #expect(String(decoding: reply.body, as: UTF8.self) == "POST /alert?x=1 host=127.0.0.1:7070 body=5")
    }

    @Test("the server's limits apply: a body over the cap is refused with 413 before the handler runs")
    func limitsApply() async throws {
        let reply = try await InProcessTransport(handler: Mirror(), configuration: HTTPServerConfiguration(maxBodyBytes: 4)).send(
            HTTPRequest(method: "POST", target: "/alert", body: Array("hello".utf8)), to: Self.endpoint)
        #expect(reply.status == 413)
        #expect(reply.headers["X-Seen"] == nil)
    }

    @Test("a sealed route answers a sealed client through it, and refuses a stranger, without a socket")
    func sealedWithoutSocket() async throws {
        let key = AgentKey.generate()
        var router = HTTPRouter()
        router.addSealed(
            "POST", "/alert",
            SealedRoute(verifier: EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [key]])), logger: Logger(label: "test")) { envelope in
                SealedReply(body: Array("got \(envelope.plaintext.count)".utf8))
            })
        let transport = InProcessTransport(handler: router)
        let client = SealedClient(endpoint: Self.endpoint, agentID: "web-1", key: key, http: transport)
        #expect(String(decoding: try await client.post("/alert", body: Array("hello".utf8)), as: UTF8.self) == "got 5")
        let stranger = SealedClient(endpoint: Self.endpoint, agentID: "web-1", key: .generate(), http: transport)
        await #expect(throws: SealedClientError.self) { try await stranger.post("/alert", body: Array("hello".utf8)) }
    }
}
