import FoundationEssentials
import Logging

/// What a sealed handler answers; the body is sealed before it leaves.
public struct SealedReply: Sendable {
    public var status: HTTPStatus
    public var body: [UInt8]

    public init(status: HTTPStatus = .ok, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// A route that runs its handler only for a request that opens: unknown agent, stale timestamp, replayed nonce or
/// forged body get 401 with an empty body, and the reason goes to the log.
public struct SealedRoute: Sendable {
    public typealias Handler = @Sendable (OpenedEnvelope) async -> SealedReply

    private let verifier: EnvelopeVerifier
    private let logger: Logger
    private let handler: Handler

    public init(verifier: EnvelopeVerifier, logger: Logger, handler: @escaping Handler) {
        self.verifier = verifier
        self.logger = logger
        self.handler = handler
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let path = String(request.path)
        let opened: OpenedEnvelope
        do {
            opened = try await verifier.open(
                method: request.method,
                path: path,
                agentID: request.headers[SealedHeaders.agent],
                timestamp: request.headers[SealedHeaders.timestamp],
                nonce: request.headers[SealedHeaders.nonce],
                body: request.body
            )
        } catch {
            logger.warning(
                "refused sealed request",
                metadata: ["reason": "\(error)", "path": "\(path)", "agent": "\(request.headers[SealedHeaders.agent] ?? "-")"]
            )
            return HTTPResponse(status: .unauthorized)
        }
        // Authenticated: this connection carries a key holder, so no stranger may push it out of the pool.
        await request.connection.markTrusted()
        let reply = await handler(opened)
        do {
            let sealed = try Sealer.seal(
                reply.body,
                direction: .reply(path: path, requestNonce: opened.nonce),
                agentID: opened.agentID,
                key: opened.key
            )
            return HTTPResponse(status: reply.status, headers: HTTPHeaders(sealed.headers), body: sealed.body)
        } catch {
            logger.error("cannot seal reply", metadata: ["reason": "\(error)"])
            return HTTPResponse(status: .internalServerError)
        }
    }
}
