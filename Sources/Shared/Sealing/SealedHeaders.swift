/// Header names of the sealed protocol (README, "The sealed protocol").
public enum SealedHeaders {
    /// The agent id whose key sealed the body.
    public static let agent = "X-Vigil-Agent"
    /// Unix seconds at sealing time; the receiver accepts ±60 s.
    public static let timestamp = "X-Vigil-Timestamp"
    /// 96 random bits, base64url without padding; never accepted twice within the window.
    public static let nonce = "X-Vigil-Nonce"
}

/// Which half of an exchange a seal belongs to; part of the associated data so a reply can never pass as a request.
public enum SealDirection: Sendable, Equatable {
    /// A request: binds method and path.
    case request(method: String, path: String)
    /// The reply to the request that carried `requestNonce`: binds that nonce, so replies cannot be swapped.
    case reply(path: String, requestNonce: String)
}
