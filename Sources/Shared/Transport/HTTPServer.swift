import FlyingSocks
import FoundationEssentials
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Our bounded HTTP/1.1 server on FlyingSocks sockets.
///
/// Every input is capped (head bytes, header count, body, time per request, idle time, connections). Malformed or
/// oversized requests are answered with the matching 4xx and the connection is closed; the server keeps serving.
public actor HTTPServer: CustomStringConvertible {
    public nonisolated var description: String { "HTTPServer(\(configuration.host):\(configuration.port))" }

    public let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let logger: Logger
    private let trustedPeers: Set<IPAddress>
    private var boundPort: UInt16?
    private var portWaiters: [CheckedContinuation<UInt16, any Error>] = []
    private var failure: (any Error)?
    private var refusalLog = LogThrottle()
    private var acceptFailureLog = LogThrottle()

    /// - Parameter trustedPeers: addresses whose connections are protected from eviction from the moment they are
    ///   accepted (the agent names its hub here); any other connection is protected once a handler marks it trusted.
    public init(configuration: HTTPServerConfiguration, handler: some HTTPHandler, logger: Logger, trustedPeers: [IPAddress] = []) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.trustedPeers = Set(trustedPeers)
    }

    /// The port actually bound, once listening (useful with port 0).
    public func listeningPort() async throws -> UInt16 {
        if let boundPort { return boundPort }
        if let failure { throw failure }
        return try await withCheckedThrowingContinuation { portWaiters.append($0) }
    }

    /// Binds, listens and serves until the task is cancelled.
    public func serve() async throws {
        let listener: Socket
        do {
            listener = try Self.makeListener(host: configuration.host, port: configuration.port)
        } catch {
            let failure = ListenError(host: configuration.host, port: configuration.port, underlying: error)
            logger.critical("\(failure)")
            fail(failure)
            throw failure
        }
        let port = try Self.localPort(of: listener)
        let pool = SocketPool.make(maxEvents: 256)
        try await pool.prepare()
        let registry = ConnectionRegistry(capacity: configuration.maxConnections, perSourceCapacity: configuration.maxConnectionsPerAddress)
        logger.info("listening", metadata: ["address": "\(configuration.host)", "port": "\(port)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.run() }
            let asyncListener = try AsyncSocket(socket: listener, pool: pool)
            listening(on: port)
            defer { try? asyncListener.close() }
            await withTaskCancellationHandler {
                await acceptUntilCancelled(asyncListener, registry: registry)
            } onCancel: {
                Task { await registry.cancelAll() }
            }
            await registry.cancelAll()
            group.cancelAll()
        }
    }

    /// Accepts until the task is cancelled. A failed `accept` (out of descriptors, out of memory, a connection reset
    /// before it was taken) never ends the server: it backs off (10 ms doubling to 1 s, so a persistent EMFILE does not
    /// spin) and listens on; idle timeouts and evictions free descriptors meanwhile.
    private func acceptUntilCancelled(_ listener: AsyncSocket, registry: ConnectionRegistry) async {
        var backoff = Duration.milliseconds(10)
        while !Task.isCancelled {
            let client: AsyncSocket
            do {
                client = try await listener.accept()
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                if let suppressed = acceptFailureLog.admit() {
                    logger.error("accept failed; backing off", metadata: ["reason": "\(error)", "suppressed": "\(suppressed)"])
                }
                do {
                    try await Task.sleep(for: backoff)
                } catch {
                    return  // cancelled while backing off: shutting down.
                }
                backoff = min(backoff * 2, .seconds(1))
                continue
            }
            backoff = .milliseconds(10)
            await admit(client, registry: registry)
        }
    }

    private func admit(_ client: AsyncSocket, registry: ConnectionRegistry) async {
        guard let peer = Self.peerAddress(of: client) else {
            try? client.close()  // gone before we looked: nothing to serve.
            return
        }
        switch await registry.admit(peer: peer, isProtected: trustedPeers.contains(peer)) {
        case .admitted(let id):
            let context = HTTPConnectionContext(peer: peer) { await registry.protect(id) }
            let connection = HTTPConnection(socket: client, context: context, configuration: configuration, handler: handler, logger: logger)
            let task = Task {
                await connection.serve(markPhase: { phase in await registry.mark(id, phase) })
                await registry.remove(id)
            }
            await registry.attach(task, to: id)
        case .sourceFull:
            // Closed without a word: answering costs a write per attempt, and this peer already has its share.
            try? client.close()
            logRefusal("connection refused: its address holds its share of connections", peer: peer)
        case .poolFull:
            logRefusal("connection refused: every connection slot is busy", peer: peer)
            let response = HTTPResponse.text(.serviceUnavailable, "busy\n")
            try? await client.write(Data(response.serialized(keepAlive: false)))
            try? client.close()
        }
    }

    private func logRefusal(_ message: Logger.Message, peer: IPAddress) {
        guard let suppressed = refusalLog.admit() else { return }
        logger.warning(message, metadata: ["peer": "\(peer)", "suppressed": "\(suppressed)"])
    }

    /// Nil when the peer reset the connection before we looked (getpeername fails with ENOTCONN).
    private static func peerAddress(of client: AsyncSocket) -> IPAddress? {
        do {
            switch try client.socket.remotePeer() {
            case .ip4(let text, _): return IPAddress(text)
            case .ip6(let text, _): return IPAddress(text.prefix { $0 != "%" })  // a link-local peer carries its zone
            case .unix: return nil
            }
        } catch {
            return nil
        }
    }

    private func listening(on port: UInt16) {
        boundPort = port
        for waiter in portWaiters { waiter.resume(returning: port) }
        portWaiters = []
    }

    private func fail(_ error: any Error) {
        failure = error
        for waiter in portWaiters { waiter.resume(throwing: error) }
        portWaiters = []
    }

    private static func makeListener(host: String, port: UInt16) throws -> Socket {
        let isIPv6 = host.contains(":")
        let socket = try Socket(domain: isIPv6 ? AF_INET6 : AF_INET, type: .stream)
        try socket.setValue(true, for: .localAddressReuse)
        if isIPv6 {
            try socket.bind(to: sockaddr_in6.inet6(ip6: host, port: port))
        } else {
            try socket.bind(to: sockaddr_in.inet(ip4: host, port: port))
        }
        try socket.listen(maxPendingConnection: 1024)
        return socket
    }

    private static func localPort(of socket: Socket) throws -> UInt16 {
        switch try socket.sockname() {
        case .ip4(_, let port), .ip6(_, let port): port
        case .unix: 0
        }
    }
}

/// One accepted connection: reads requests in turn, answers them, and closes on error, timeout or request.
struct HTTPConnection: Sendable {
    let socket: AsyncSocket
    let context: HTTPConnectionContext
    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let logger: Logger

    func serve(markPhase: @Sendable (ConnectionRegistry.Phase) async -> Void) async {
        defer { try? socket.close() }
        var reader = MessageReader(
            socket: socket,
            maxHeadBytes: configuration.maxHeadBytes,
            maxHeaderCount: configuration.maxHeaderCount,
            maxBodyBytes: configuration.maxBodyBytes,
            routeBodyLimits: configuration.routeBodyLimits
        )
        var isFirst = true
        while !Task.isCancelled {
            await markPhase(.idle)
            var request: HTTPRequest
            do {
                // The first request gets the full request timeout to start; later ones the idle timeout.
                let idle = isFirst ? configuration.requestTimeout : configuration.idleTimeout
                request = try await reader.readRequest(idleTimeout: idle, requestTimeout: configuration.requestTimeout)
            } catch let error as HTTPParseError {
                logger.notice("refused request", metadata: ["reason": "\(error)", "status": "\(error.status.code)"])
                await finish(with: .text(error.status, "\(error.status.reason)\n"))
                return
            } catch MessageReader.Stop.timedOut {
                logger.notice("request timed out")
                await finish(with: .text(.requestTimeout, "request timeout\n"))
                return
            } catch {
                return  // closed by the peer, idle, or cancelled: nothing to answer.
            }
            isFirst = false
            await markPhase(.busy)
            request.connection = context
            let response = await handler.handle(request)
            let keepAlive = request.wantsKeepAlive
            do {
                try await socket.write(Data(response.serialized(keepAlive: keepAlive)))
            } catch {
                return
            }
            if !keepAlive { return }
        }
    }

    /// Answers an error and closes gracefully: our half is shut down first and what the peer still sends is drained
    /// briefly (bounded in time and bytes), because closing with unread input makes the kernel send a reset that can
    /// destroy the answer before the peer reads it.
    private func finish(with response: HTTPResponse) async {
        let socket = socket
        try? await withDeadline(.now + .seconds(2)) {
            try await socket.write(Data(response.serialized(keepAlive: false)))
        }
        _ = Glibc.shutdown(socket.socket.file.rawValue, Int32(SHUT_WR))
        try? await withDeadline(.now + .seconds(1)) {
            var drained = 0
            while drained < 1 << 20 {
                let chunk = try await socket.read(atMost: 4096)
                if chunk.isEmpty { return }
                drained += chunk.count
            }
        }
    }
}
