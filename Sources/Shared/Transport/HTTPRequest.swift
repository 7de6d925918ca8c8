/// A request as received: the head is parsed, the body is bounded and complete.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as sent (origin form: path and optional query).
    public var target: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The connection it arrived on (set by the server).
    public var connection: HTTPConnectionContext = .detached

    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The target without its query string.
    public var path: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// False when the client asked to close after this request.
    var wantsKeepAlive: Bool {
        headers["Connection"]?.lowercased() != "close"
    }
}
