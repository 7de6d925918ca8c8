/// Carries one request to an endpoint and brings back the reply: over a socket (`HTTPClient`), or straight into a
/// handler in the same process (`InProcessTransport`, for tests that need no port).
public protocol HTTPTransport: Sendable {
    /// Sends `request` to `endpoint` and returns the complete reply; throws when no reply could be read.
    func send(_ request: HTTPRequest, to endpoint: HTTPEndpoint) async throws -> HTTPClientResponse
}

extension HTTPClient: HTTPTransport {}
