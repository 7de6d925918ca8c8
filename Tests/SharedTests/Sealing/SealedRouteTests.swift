import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import Shared

/// The sealed protocol over real sockets: a handler runs only for an authentic, fresh, first-seen request.
@Suite("Sealed routes over HTTP", .serialized, .system)
struct SealedRouteTests {
    let key = AgentKey.generate()

    final class Counter: @unchecked Sendable {
        // Touched only under `lock`.
        private let lock = NSLock()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    func router(counter: Counter) -> HTTPRouter {
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [key]]))
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/alert",
            SealedRoute(verifier: verifier, logger: Logger(label: "test")) { envelope in
                counter.increment()
                return SealedReply(body: Array("got \(envelope.plaintext.count)".utf8))
            }
        )
        return router
    }

    @Test("a sealed request runs the handler and the sealed reply opens for the caller")
    func accepted() async throws {
        let counter = Counter()
        let reply = try await withTestServer(handler: router(counter: counter)) { [key] port in
            let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: key)
            return try await client.post("/alert", body: Array("hello".utf8))
        }
        #expect(String(decoding: reply, as: UTF8.self) == "got 5")
        #expect(counter.count == 1)
    }

    @Test("a kept-alive connection that carried a sealed request is never evicted for strangers; an idle stranger is")
    func authenticatedConnectionKept() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 2)
        try await withTestServer(configuration, handler: router(counter: Counter())) { [key] port in
            let agent = try await RawConnection.open(port: port)
            defer { agent.close() }
            let sealed = try Sealer.seal(Array("hi".utf8), direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: key)
            let head = sealed.headers.map { "\($0.0): \($0.1)\r\n" }.joined()
            try await agent.send("POST /alert HTTP/1.1\r\n\(head)Content-Length: \(sealed.body.count)\r\n\r\n")
            try await agent.send(sealed.body)
            #expect(try await agent.readResponse()?.status == 200)
            // Let the server's connection task get back to waiting (idle) after writing: only an idle connection is
            // evictable, so without this pause the test could pass by luck (the connection still counted busy).
            try await Task.sleep(for: .milliseconds(300))

            // Two strangers: the second finds the pool full and pushes out the first (accepts are in order), never the
            // older authenticated connection.
            let first = try await RawConnection.open(port: port)
            defer { first.close() }
            let second = try await RawConnection.open(port: port)
            defer { second.close() }
            #expect(await first.isClosedByPeer(), "the idle stranger was not the one evicted")
            try await agent.send("GET /still-here HTTP/1.1\r\n\r\n")
            #expect(try await agent.readResponse()?.status == 404, "the authenticated connection was evicted")
        }
    }

    @Test("unsigned, forged, replayed and wrong-key requests get 401 with an empty body and run nothing")
    func refused() async throws {
        let counter = Counter()
        try await withTestServer(handler: router(counter: counter)) { [key] port in
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
            let http = HTTPClient(timeout: .seconds(5))

            let unsigned = try await http.send(HTTPRequest(method: "POST", target: "/alert", body: Array("{}".utf8)), to: endpoint)
            #expect(unsigned.status == 401)
            #expect(unsigned.body.isEmpty)

            var forged = try Sealer.seal(Array("x".utf8), direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: key)
            forged.body[0] ^= 1
            let forgedReply = try await http.send(
                HTTPRequest(method: "POST", target: "/alert", headers: HTTPHeaders(forged.headers), body: forged.body), to: endpoint)
            #expect(forgedReply.status == 401)

            let good = try Sealer.seal(Array("x".utf8), direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: key)
            let request = HTTPRequest(method: "POST", target: "/alert", headers: HTTPHeaders(good.headers), body: good.body)
            #expect(try await http.send(request, to: endpoint).status == 200)
            let replayed = try await http.send(request, to: endpoint)
            #expect(replayed.status == 401)
            #expect(replayed.body.isEmpty)

            let stranger = SealedClient(endpoint: endpoint, agentID: "web-1", key: AgentKey.generate())
            await #expect(throws: SealedClientError.self) { try await stranger.post("/alert", body: []) }

            let stale = SealedClient(endpoint: endpoint, agentID: "web-1", key: key, now: { Date().addingTimeInterval(-61) })
            await #expect(throws: SealedClientError.self) { try await stale.post("/alert", body: []) }
        }
        #expect(counter.count == 1)
    }

    @Test("a reply sealed with another key is refused by the client")
    func forgedReply() async throws {
        let impostorKey = AgentKey.generate()
        let impostor = EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [impostorKey]]))
        var router = HTTPRouter()
        // Accepts anything and answers sealed with the wrong key, as a man in the middle would.
        router.add("POST", "/alert") { request in
            let sealed = try? Sealer.seal(
                Array("fake".utf8),
                direction: .reply(path: "/alert", requestNonce: request.headers[SealedHeaders.nonce] ?? ""),
                agentID: "web-1",
                key: impostorKey
            )
            _ = impostor
            return HTTPResponse(status: .ok, headers: HTTPHeaders(sealed?.headers ?? []), body: sealed?.body ?? [])
        }
        try await withTestServer(handler: router) { [key] port in
            let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: key)
            await #expect(throws: SealedClientError.self) { try await client.post("/alert", body: []) }
        }
    }
}
