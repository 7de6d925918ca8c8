/// Limits and addresses of an `HTTPServer`. Every bound is configuration, with defaults safe for the internet.
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// IPv4 or IPv6 literal to bind, e.g. `0.0.0.0`, `127.0.0.1`, `::`.
    public var host: String
    /// TCP port; 0 picks a free port (tests).
    public var port: UInt16
    /// Request line plus header fields, in bytes (→ 431).
    public var maxHeadBytes: Int
    /// Number of header fields (→ 431).
    public var maxHeaderCount: Int
    /// Body bytes, declared by `Content-Length` (→ 413).
    public var maxBodyBytes: Int
    /// Time from a request's first byte to its last (→ 408 and close).
    public var requestTimeout: Duration
    /// Time a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration
    /// Connections served at once; past it the longest-idle connection is closed, or the newcomer gets 503.
    public var maxConnections: Int
    /// Connections one source address (an IPv6 /64) may hold at once; a newcomer past it is closed at once, so one
    /// host cannot take the whole pool.
    public var maxConnectionsPerAddress: Int
    /// Larger body limits for a few exact paths (e.g. the hub's `/inventory`, up to 1 MiB); every other path keeps
    /// `maxBodyBytes`. The limit is chosen from the request line, before a byte of the body is read.
    public var routeBodyLimits: [String: Int] = [:]

    /// The body limit for a request to `target` (its path, without the query).
    public func maxBodyBytes(for target: some StringProtocol) -> Int {
        guard !routeBodyLimits.isEmpty else { return maxBodyBytes }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return routeBodyLimits[String(path)] ?? maxBodyBytes
    }

    public init(
        host: String = "0.0.0.0",
        port: UInt16 = 0,
        maxHeadBytes: Int = 8 * 1024,
        maxHeaderCount: Int = 64,
        maxBodyBytes: Int = 64 * 1024,
        requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(15),
        maxConnections: Int = 1024,
        maxConnectionsPerAddress: Int = 32
    ) {
        self.host = host
        self.port = port
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }
}
