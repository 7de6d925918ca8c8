import FlyingSocks
import Foundation
import Logging
import Synchronization
import VigilTestSupport

@testable import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A server on 127.0.0.1 port 0 for the duration of `body`.
func withTestServer<T: Sendable>(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0),
    handler: some HTTPHandler,
    _ body: @Sendable (UInt16) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let server = HTTPServer(configuration: configuration, handler: handler, logger: Logger(label: "test-server"))
    let task = Task { try await server.serve() }
    defer { task.cancel() }
    let port = try await server.listeningPort()
    return try await body(port)
}

/// Answers every request with 200 and the request body echoed back.
struct EchoHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        HTTPResponse(status: .ok, body: Array("\(request.method) \(request.target) \(request.body.count)".utf8))
    }
}

/// A client socket that sends exactly the bytes a test writes, for hostile-input tests.
struct RawConnection {
    let socket: AsyncSocket

    static func open(port: UInt16) async throws -> RawConnection {
        RawConnection(socket: try await AsyncSocket.connected(to: sockaddr_in.inet(ip4: "127.0.0.1", port: port)))
    }

    /// Connects from `source`, another loopback address (all of 127/8 is loopback on Linux): a different "host".
    static func open(port: UInt16, from source: String) async throws -> RawConnection {
        let socket = try Socket(domain: AF_INET, type: .stream)
        try socket.bind(to: sockaddr_in.inet(ip4: source, port: 0))
        let connection = try AsyncSocket(socket: socket, pool: try await .client)
        try await connection.connect(to: sockaddr_in.inet(ip4: "127.0.0.1", port: port))
        return RawConnection(socket: connection)
    }

    func send(_ text: String) async throws {
        try await socket.write(Data(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await socket.write(Data(bytes))
    }

    /// Closes our sending half; the server sees end of stream but may still answer.
    func shutdownWrite() {
        _ = Glibc.shutdown(socket.socket.file.rawValue, Int32(SHUT_WR))
    }

    /// Reads one response, or nil if the server closed without one.
    func readResponse(within timeout: Duration = .seconds(5)) async throws -> HTTPClientResponse? {
        try await readResponses(1, within: timeout).first
    }

    /// Reads up to `count` pipelined responses with one reader, so bytes of the next one are never lost.
    func readResponses(_ count: Int, within timeout: Duration = .seconds(5)) async throws -> [HTTPClientResponse] {
        var reader = MessageReader(socket: socket, maxHeadBytes: 16_384, maxHeaderCount: 100, maxBodyBytes: 1 << 20)
        var responses: [HTTPClientResponse] = []
        do {
            for _ in 0..<count {
                let (status, headers, body) = try await reader.readResponse(deadline: .now + timeout)
                responses.append(HTTPClientResponse(status: status, headers: headers, body: body))
            }
        } catch MessageReader.Stop.closedMidMessage {
            return responses
        } catch SocketError.disconnected {
            return responses
        }
        return responses
    }

    /// True once the server has closed the connection (reads end of stream or reset).
    func isClosedByPeer(within timeout: Duration = .seconds(5)) async -> Bool {
        let socket = socket
        do {
            let bytes = try await withDeadline(.now + timeout) { try await socket.read(atMost: 1) }
            return bytes.isEmpty
        } catch is DeadlineExceeded {
            return false
        } catch {
            return true
        }
    }

    func close() {
        try? socket.close()
    }
}

/// Sends one well-formed request and returns the status: the "server still serves" probe.
func goodRequestStatus(port: UInt16) async throws -> Int {
    let response = try await HTTPClient(timeout: .seconds(5)).send(
        HTTPRequest(method: "GET", target: "/probe"), to: HTTPEndpoint(host: "127.0.0.1", port: port))
    return response.status
}

/// A log handler that keeps every line (message and metadata) so a test can wait for the one it expects.
final class RecordingLog: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])

    var logLevel: Logger.Level {
        get { .trace }
        set {}  // records everything
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}  // per-line metadata only
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}  // per-line metadata only
    }

    func log(event: LogEvent) {
        let rendered = "\(event.message) \(event.metadata ?? [:])"
        lines.withLock { $0.append(rendered) }
    }

    /// The first line containing `text`, waiting up to `limit` for it.
    func waitFor(_ text: String, upTo limit: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let line = lines.withLock({ $0.first { $0.contains(text) } }) { return line }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RecordingLogTimeout(text: text)
    }
}

struct RecordingLogTimeout: Error, CustomStringConvertible {
    let text: String
    var description: String { "no log line containing \"\(text)\"" }
}
