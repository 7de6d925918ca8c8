import FlyingSocks

/// Reads bounded HTTP messages from one socket, keeping bytes that arrive early for the next message.
struct MessageReader {
    private let socket: AsyncSocket
    private let maxHeadBytes: Int
    private let maxHeaderCount: Int
    private let maxBodyBytes: Int
    /// Requests only: larger limits for some paths (`HTTPServerConfiguration.routeBodyLimits`).
    private let routeBodyLimits: [String: Int]
    private var leftover: [UInt8] = []

    init(socket: AsyncSocket, maxHeadBytes: Int, maxHeaderCount: Int, maxBodyBytes: Int, routeBodyLimits: [String: Int] = [:]) {
        self.socket = socket
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.routeBodyLimits = routeBodyLimits
    }

    /// Why reading stopped without a message.
    enum Stop: Error {
        /// The peer closed before sending anything (normal end of a kept-alive connection).
        case closedBetweenMessages
        /// The peer closed mid-message.
        case closedMidMessage
        /// Nothing arrived within the idle timeout.
        case idle
        /// The message did not complete within its deadline.
        case timedOut
    }

    /// Reads one request: waits up to `idleTimeout` for its first byte, then up to `requestTimeout` for the rest.
    mutating func readRequest(idleTimeout: Duration, requestTimeout: Duration) async throws -> HTTPRequest {
        if leftover.isEmpty {
            leftover = try await readChunk(deadline: .now + idleTimeout, onTimeout: .idle, onClose: .closedBetweenMessages)
        }
        let deadline = ContinuousClock.now + requestTimeout
        let (head, rest) = try await readHead(deadline: deadline)
        let parsed = try HTTPHeadParser.parseRequest(head, maxHeaderCount: maxHeaderCount)
        let length = try HTTPHeadParser.contentLength(of: parsed.headers)
        let path = parsed.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard length <= routeBodyLimits[String(path)] ?? maxBodyBytes else { throw HTTPParseError(.bodyTooLarge) }
        let body = try await readBody(length: length, already: rest, deadline: deadline)
        return HTTPRequest(method: parsed.method, target: parsed.target, headers: parsed.headers, body: body)
    }

    /// Reads one response within `deadline`.
    mutating func readResponse(deadline: ContinuousClock.Instant) async throws -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        let (head, rest) = try await readHead(deadline: deadline)
        let parsed = try HTTPHeadParser.parseResponse(head, maxHeaderCount: maxHeaderCount)
        let length = try HTTPHeadParser.contentLength(of: parsed.headers)
        guard length <= maxBodyBytes else { throw HTTPParseError(.bodyTooLarge) }
        let body = try await readBody(length: length, already: rest, deadline: deadline)
        return (parsed.status, parsed.headers, body)
    }

    private mutating func readHead(deadline: ContinuousClock.Instant) async throws -> (ArraySlice<UInt8>, [UInt8]) {
        var accumulator = HeadAccumulator(maxHeadBytes: maxHeadBytes, leftover: leftover)
        leftover = []
        if let done = try accumulator.scan() { return done }
        while true {
            let chunk = try await readChunk(deadline: deadline, onTimeout: .timedOut, onClose: .closedMidMessage)
            if let done = try accumulator.append(chunk) { return done }
        }
    }

    private mutating func readBody(length: Int, already: [UInt8], deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var body = already
        while body.count < length {
            body += try await readChunk(deadline: deadline, onTimeout: .timedOut, onClose: .closedMidMessage)
        }
        leftover = Array(body[length...])
        body.removeSubrange(length...)
        return body
    }

    private func readChunk(deadline: ContinuousClock.Instant, onTimeout: Stop, onClose: Stop) async throws -> [UInt8] {
        let socket = socket
        do {
            let chunk = try await withDeadline(deadline) { try await socket.read(atMost: 4096) }
            guard !chunk.isEmpty else { throw onClose }
            return chunk
        } catch is DeadlineExceeded {
            throw onTimeout
        } catch SocketError.disconnected {
            throw onClose
        }
    }
}
