import FoundationEssentials

/// A sealed body with the three headers that travel beside it.
public struct SealedMessage: Sendable, Equatable {
    /// Value of `X-Vigil-Agent`.
    public var agentID: String
    /// Value of `X-Vigil-Timestamp` (unix seconds).
    public var timestamp: Int64
    /// Value of `X-Vigil-Nonce` (base64url, 12 bytes).
    public var nonce: String
    /// ChaChaPoly ciphertext followed by its 16-byte tag.
    public var body: [UInt8]

    public init(agentID: String, timestamp: Int64, nonce: String, body: [UInt8]) {
        self.agentID = agentID
        self.timestamp = timestamp
        self.nonce = nonce
        self.body = body
    }

    /// The headers to send with `body`.
    public var headers: [(name: String, value: String)] {
        [
            (SealedHeaders.agent, agentID),
            (SealedHeaders.timestamp, String(timestamp)),
            (SealedHeaders.nonce, nonce),
        ]
    }
}
