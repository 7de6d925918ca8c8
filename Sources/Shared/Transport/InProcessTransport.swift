/// Hands each request to an `HTTPHandler` in this process, as the bytes a socket would carry: the client's
/// serialization, the server's head parser, limits and `Content-Length`, the server's serialized reply read back with
/// the client's parser. No socket, port or timer, so handler tests run anywhere and in parallel; what it leaves out
/// (connections, timeouts, eviction) is what the real-socket tests of `HTTPServer` cover.
public struct InProcessTransport: HTTPTransport {
    public let handler: any HTTPHandler
    /// The limits the server would apply to the request.
    public var configuration: HTTPServerConfiguration

    public init(handler: any HTTPHandler, configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
        self.handler = handler
        self.configuration = configuration
    }

    public func send(_ request: HTTPRequest, to endpoint: HTTPEndpoint) async throws -> HTTPClientResponse {
        let response: HTTPResponse
        do throws(HTTPParseError) {
            let received = try Self.request(from: HTTPClient.serialize(request, host: endpoint), configuration: configuration)
            response = await handler.handle(received)
        } catch {
            // The answer `HTTPServer` gives a request it refuses before any handler sees it.
            response = .text(error.status, "\(error.status.reason)\n")
        }
        return try Self.response(from: response.serialized(keepAlive: false))
    }

    /// The request as `HTTPServer` reads it off a connection.
    static func request(from bytes: [UInt8], configuration: HTTPServerConfiguration) throws(HTTPParseError) -> HTTPRequest {
        var accumulator = HeadAccumulator(maxHeadBytes: configuration.maxHeadBytes)
        guard let (head, rest) = try accumulator.append(bytes) else { throw HTTPParseError(.malformed("incomplete message")) }
        let parsed = try HTTPHeadParser.parseRequest(head, maxHeaderCount: configuration.maxHeaderCount)
        let length = try HTTPHeadParser.contentLength(of: parsed.headers)
        guard length <= configuration.maxBodyBytes(for: parsed.target) else { throw HTTPParseError(.bodyTooLarge) }
        guard rest.count == length else { throw HTTPParseError(.malformed("incomplete message")) }
        return HTTPRequest(method: parsed.method, target: parsed.target, headers: parsed.headers, body: rest)
    }

    /// The reply as `HTTPClient` reads it.
    static func response(from bytes: [UInt8]) throws(HTTPParseError) -> HTTPClientResponse {
        var accumulator = HeadAccumulator(maxHeadBytes: 16 * 1024)
        guard let (head, rest) = try accumulator.append(bytes) else { throw HTTPParseError(.malformed("incomplete message")) }
        let parsed = try HTTPHeadParser.parseResponse(head, maxHeaderCount: 100)
        let length = try HTTPHeadParser.contentLength(of: parsed.headers)
        guard rest.count == length else { throw HTTPParseError(.malformed("incomplete message")) }
        return HTTPClientResponse(status: parsed.status, headers: parsed.headers, body: rest)
    }
}
