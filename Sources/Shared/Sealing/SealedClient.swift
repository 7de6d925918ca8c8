import FoundationEssentials

/// Why a sealed exchange failed.
public struct SealedClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// A non-2xx status whose reply is not sealed: anything on the path could have sent it (a proxy, a spoofed
        /// host), so it proves nothing about what the peer decided. The peer's own 401 (it refused our seal) is one.
        case status(Int)
        /// A non-2xx status sealed by the peer for this very request: the peer itself refused it.
        case rejected(Int)
        /// The reply did not open with our key, was stale, or answered another request.
        case unauthenticReply(SealError)
        /// The network or the peer's HTTP failed.
        case transport(String)
    }

    public let code: Code

    public var description: String {
        switch code {
        case .status(let status): "unsealed HTTP \(status) (not from the peer, or the peer refused our seal)"
        case .rejected(let status): "peer refused the request with a sealed HTTP \(status)"
        case .unauthenticReply(let error): "reply refused: \(error)"
        case .transport(let reason): reason
        }
    }
}

/// Sends sealed requests and accepts only replies sealed by the same key for that very request.
public struct SealedClient: Sendable {
    public let endpoint: HTTPEndpoint
    public let agentID: String
    public let key: AgentKey
    public var http: any HTTPTransport
    public var window: Duration
    private let now: @Sendable () -> Date

    public init(
        endpoint: HTTPEndpoint,
        agentID: String,
        key: AgentKey,
        http: any HTTPTransport = HTTPClient(),
        window: Duration = .seconds(60),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.endpoint = endpoint
        self.agentID = agentID
        self.key = key
        self.http = http
        self.window = window
        self.now = now
    }

    /// POSTs `body` sealed to `path`; returns the opened reply body.
    public func post(_ path: String, body: [UInt8]) async throws(SealedClientError) -> [UInt8] {
        let sealed: SealedMessage
        do {
            sealed = try Sealer.seal(
                body, direction: .request(method: "POST", path: endpoint.basePath + path), agentID: agentID, key: key, now: now())
        } catch {
            throw SealedClientError(code: .unauthenticReply(error))
        }
        let request = HTTPRequest(
            method: "POST", target: path, headers: HTTPHeaders(sealed.headers + [("Content-Type", "application/octet-stream")]), body: sealed.body)
        let response: HTTPClientResponse
        do {
            response = try await http.send(request, to: endpoint)
        } catch {
            throw SealedClientError(code: .transport("\(error)"))
        }
        let opened: [UInt8]
        do {
            opened = try openReply(response, path: endpoint.basePath + path, requestNonce: sealed.nonce)
        } catch {
            // An error status only counts as the peer's answer if the peer sealed it.
            if !(200..<300).contains(response.status) { throw SealedClientError(code: .status(response.status)) }
            throw error
        }
        guard (200..<300).contains(response.status) else { throw SealedClientError(code: .rejected(response.status)) }
        return opened
    }

    private func openReply(_ response: HTTPClientResponse, path: String, requestNonce: String) throws(SealedClientError) -> [UInt8] {
        guard let agent = response.headers[SealedHeaders.agent], agent == agentID,
            let timestampText = response.headers[SealedHeaders.timestamp], let timestamp = Int64(timestampText),
            let nonce = response.headers[SealedHeaders.nonce]
        else { throw SealedClientError(code: .unauthenticReply(SealError(.missingHeader))) }
        guard abs(now().timeIntervalSince1970 - TimeInterval(timestamp)) <= TimeInterval(window.components.seconds) else {
            throw SealedClientError(code: .unauthenticReply(SealError(.stale)))
        }
        let message = SealedMessage(agentID: agent, timestamp: timestamp, nonce: nonce, body: response.body)
        do {
            return try Sealer.open(message, direction: .reply(path: path, requestNonce: requestNonce), key: key)
        } catch {
            throw SealedClientError(code: .unauthenticReply(error))
        }
    }
}
