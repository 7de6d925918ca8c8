import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP server with one fixed behaviour, for the transport tests the fake Bot API cannot stage: it answers
/// every request with the same raw bytes, or never answers and holds the connection open. It records each request
/// head, so a test can wait for the request to have arrived before acting.
final class ScriptedHTTPServer: Sendable {
    enum Behaviour: Sendable {
        /// Writes these bytes (status line, headers and body, as given) and closes the connection.
        case answer([UInt8])
        /// Reads the request and never answers.
        case silent
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: UInt16
    private let listener: Int32
    private let behaviour: Behaviour
    private let state = Mutex(State())

    private struct State {
        var requests: [String] = []
        var held: [Int32] = []
    }

    /// Request heads received so far (request line and headers, without the body).
    var requests: [String] { state.withLock { $0.requests } }

    /// A reply of `status` with `body` and its Content-Length, or without one (the body then ends with the connection).
    static func reply(status: Int = 200, body: [UInt8], declaringLength: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Scripted\r\nContent-Type: application/json\r\nConnection: close\r\n"
        if declaringLength { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// Runs `body` with a server listening on 127.0.0.1, and closes it (and every held connection) afterwards.
    static func withServer<T>(_ behaviour: Behaviour, _ body: (ScriptedHTTPServer) async throws -> T) async throws -> T {
        let server = try ScriptedHTTPServer(behaviour)
        defer { server.close() }
        return try await body(server)
    }

    private init(_ behaviour: Behaviour) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(listener, address, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, address, &length) == 0
            }
        }
        guard bound else {
            let reason = errno
            _ = Glibc.close(listener)
            throw Failure(description: "bind/listen on 127.0.0.1: errno \(reason)")
        }
        self.listener = listener
        self.port = UInt16(bigEndian: address.sin_port)
        self.behaviour = behaviour
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Waits until `count` requests have arrived (the positive signal that a client's request is in flight).
    func waitForRequests(_ count: Int = 1, within limit: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + limit
        while requests.count < count {
            guard ContinuousClock.now < deadline else { throw Failure(description: "no request arrived within \(limit)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func close() {
        // Wakes the blocked accept (it fails), which ends the thread.
        _ = shutdown(listener, Int32(SHUT_RDWR))
        let held = state.withLock { state in
            defer { state.held = [] }
            return state.held
        }
        for connection in held { _ = Glibc.close(connection) }
    }

    private func acceptLoop() {
        defer { _ = Glibc.close(listener) }
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return
            }
            serve(connection)
        }
    }

    private func serve(_ connection: Int32) {
        guard let head = readRequest(connection) else {
            _ = Glibc.close(connection)
            return
        }
        switch behaviour {
        case .answer(let bytes):
            state.withLock { $0.requests.append(head) }
            writeAll(bytes, to: connection)
            _ = Glibc.close(connection)
        case .silent:
            state.withLock {
                $0.requests.append(head)
                $0.held.append(connection)
            }
        }
    }

    /// The request head, after reading the body its Content-Length announces; nil if the client went away first.
    private func readRequest(_ connection: Int32) -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var needed = Int.max
        while received.count < needed {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            received += buffer[..<count]
            if headEnd == nil, let end = received.firstRange(of: separator)?.upperBound {
                headEnd = end
                let head = String(decoding: received[..<end], as: UTF8.self)
                let length = head.split(separator: "\r\n").lazy.compactMap { line -> Int? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                    return Int(parts[1].trimmingCharacters(in: .whitespaces))
                }.first
                needed = end + (length ?? 0)
            }
        }
        guard let headEnd else { return nil }
        return String(decoding: received[..<headEnd], as: UTF8.self)
    }

    private func writeAll(_ bytes: [UInt8], to connection: Int32) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that hangs up mid-reply (as one refusing an oversized reply does) must not raise
            // SIGPIPE in the test process.
            let written = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            offset += written
        }
    }
}
