import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile clients on raw sockets; after each, a well-formed request must still succeed.
@Suite("Bounded HTTP server", .serialized, .system)
struct HTTPServerTests {
    @Test("a well-formed request is answered and the connection kept alive")
    func keepAlive() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            try await connection.send("POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n")
            let responses = try await connection.readResponses(2)
            #expect(responses.map { String(decoding: $0.body, as: UTF8.self) } == ["POST /a 3", "GET /b 0"])
        }
    }

    @Test("headers sent one byte a second time out with 408 and the connection closes")
    func slowHeaders() async throws {
        let configuration = HTTPServerConfiguration(requestTimeout: .seconds(2))
        try await withTestServer(configuration, handler: EchoHandler()) { port in
            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            let started = ContinuousClock.now
            var answered: HTTPClientResponse?
            for byte in "GET / HTTP/1.1\r\nX-Slow: yes".utf8 {
                do {
                    try await connection.send([byte])
                } catch {
                    break
                }
                try await Task.sleep(for: .seconds(1))
                if ContinuousClock.now - started > .seconds(3) {
                    answered = try await connection.readResponse()
                    break
                }
            }
            #expect(answered?.status == 408)
            #expect(await connection.isClosedByPeer())
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("a 10 MiB body is refused with 413 before it is read")
    func hugeBody() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            try await connection.send("POST / HTTP/1.1\r\nContent-Length: \(10 * 1024 * 1024)\r\n\r\n")
            try? await connection.send([UInt8](repeating: 0x41, count: 64 * 1024))
            #expect(try await connection.readResponse()?.status == 413)
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("a 1 MiB header line is refused with 431 as soon as the cap is crossed")
    func hugeHeaderLine() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            try await connection.send("GET / HTTP/1.1\r\nX-Big: ")
            var sent = 0
            // Keep writing until the server stops reading; it must answer long before the full megabyte.
            while sent < 1024 * 1024 {
                do {
                    try await withDeadline(.now + .seconds(2)) { [connection] in
                        try await connection.send([UInt8](repeating: 0x61, count: 16 * 1024))
                    }
                } catch {
                    break
                }
                sent += 16 * 1024
            }
            #expect(try await connection.readResponse()?.status == 431)
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("garbage bytes get 400 and the connection closes")
    func garbage() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let connection = try await RawConnection.open(port: port)
            defer { connection.close() }
            try await connection.send((0..<2000).map { UInt8(truncatingIfNeeded: $0 * 7919) } + Array("\r\n\r\n".utf8))
            #expect(try await connection.readResponse()?.status == 400)
            #expect(await connection.isClosedByPeer())
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("a half-closed connection still gets its answer, and a half-sent request is dropped quietly")
    func halfClosed() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let complete = try await RawConnection.open(port: port)
            defer { complete.close() }
            try await complete.send("GET /done HTTP/1.1\r\n\r\n")
            complete.shutdownWrite()
            #expect(try await complete.readResponse()?.status == 200)

            let partial = try await RawConnection.open(port: port)
            defer { partial.close() }
            try await partial.send("GET /half HTTP/1.1\r\nX-A:")
            partial.shutdownWrite()
            #expect(await partial.isClosedByPeer())
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("500 idle connections do not keep a good request out")
    func idleConnections() async throws {
        // One address here: the per-address cap is lifted to test the pool's own eviction.
        try await withTestServer(HTTPServerConfiguration(maxConnectionsPerAddress: 1000), handler: EchoHandler()) { port in
            var idle: [RawConnection] = []
            defer { idle.forEach { $0.close() } }
            for _ in 0..<500 { idle.append(try await RawConnection.open(port: port)) }
            #expect(try await goodRequestStatus(port: port) == 200)
        }
    }

    @Test("at the connection cap the longest-idle connection makes room for a new one")
    func capEvictsIdle() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 10)
        try await withTestServer(configuration, handler: EchoHandler()) { port in
            var idle: [RawConnection] = []
            defer { idle.forEach { $0.close() } }
            for _ in 0..<10 { idle.append(try await RawConnection.open(port: port)) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await goodRequestStatus(port: port) == 200)
            #expect(await idle[0].isClosedByPeer())
        }
    }

    @Test("one address holds at most its share of connections; the next is closed at once and another address still gets in")
    func perAddressCap() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 100, maxConnectionsPerAddress: 4)
        try await withTestServer(configuration, handler: EchoHandler()) { port in
            var held: [RawConnection] = []
            defer { held.forEach { $0.close() } }
            for _ in 0..<4 { held.append(try await RawConnection.open(port: port, from: "127.0.0.2")) }
            let greedy = try await RawConnection.open(port: port, from: "127.0.0.2")
            defer { greedy.close() }
            #expect(await greedy.isClosedByPeer(within: .seconds(5)), "the fifth connection from one address was kept")
            #expect(await !held[0].isClosedByPeer(within: .milliseconds(200)), "a connection within the share was closed")

            let other = try await RawConnection.open(port: port, from: "127.0.0.3")
            defer { other.close() }
            try await other.send("GET /other HTTP/1.1\r\n\r\n")
            #expect(try await other.readResponse()?.status == 200)
        }
    }

    @Test("accept failing with EMFILE never stops the server: it backs off, logs, and serves once descriptors are free")
    func acceptFailureIsSurvived() async throws {
        let log = RecordingLog()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler(),
            logger: Logger(label: "test-server", factory: { _ in log }))
        let task = Task { try await server.serve() }
        defer { task.cancel() }
        let port = try await server.listeningPort()
        #expect(try await goodRequestStatus(port: port) == 200)  // the client side's poller exists before the squeeze
        var filler: [Int32] = []
        defer { for descriptor in filler { _ = Glibc.close(descriptor) } }
        while true {
            let descriptor = Glibc.open("/dev/null", O_RDONLY)
            guard descriptor >= 0 else { break }
            filler.append(descriptor)
        }
        // One descriptor back for the client's socket: the server's accept of it then fails with EMFILE.
        _ = Glibc.close(filler.removeLast())
        let waiting = try await RawConnection.open(port: port)
        defer { waiting.close() }
        let failed = try await log.waitFor("accept failed")
        #expect(failed.contains("Too many open files") || failed.contains("24"))
        for descriptor in filler { _ = Glibc.close(descriptor) }
        filler = []
        try await waiting.send("GET /after HTTP/1.1\r\n\r\n")
        #expect(try await waiting.readResponse(within: .seconds(10))?.status == 200)
        #expect(try await goodRequestStatus(port: port) == 200)
    }

    @Test("unknown paths are 404, wrong methods 405")
    func routing() async throws {
        var router = HTTPRouter()
        router.add("POST", "/alert") { _ in .text(.ok, "ok") }
        try await withTestServer(handler: router) { port in
            let client = HTTPClient(timeout: .seconds(5))
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
            let unknownPath = try await client.send(HTTPRequest(method: "GET", target: "/nope"), to: endpoint)
            let wrongMethod = try await client.send(HTTPRequest(method: "GET", target: "/alert"), to: endpoint)
            let routed = try await client.send(HTTPRequest(method: "POST", target: "/alert"), to: endpoint)
            #expect(unknownPath.status == 404)
            #expect(wrongMethod.status == 405)
            #expect(routed.status == 200)
        }
    }
}
