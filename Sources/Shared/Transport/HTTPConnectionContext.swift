/// What the server knows about the connection a request arrived on, and the one thing a handler may tell it back.
///
/// The HTTP layer stays generic: it does not know what "authenticated" means. A handler that has verified its
/// caller (the sealed routes do, once a body opens) says so with `markTrusted()`, and the server then never closes
/// that connection to admit an unauthenticated newcomer.
public struct HTTPConnectionContext: Sendable {
    /// The peer's address; nil when the request did not come from a served socket.
    public let peer: IPAddress?
    private let trust: @Sendable () async -> Void

    init(peer: IPAddress?, trust: @escaping @Sendable () async -> Void) {
        self.peer = peer
        self.trust = trust
    }

    /// No connection behind it (a request built by a client or a test): marking it trusted does nothing.
    public static let detached = HTTPConnectionContext(peer: nil, trust: {})

    /// Protects the connection from eviction: call only after the caller has proven who it is.
    public func markTrusted() async {
        await trust()
    }
}
