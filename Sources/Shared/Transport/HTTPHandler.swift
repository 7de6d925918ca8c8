/// Answers one request. Handlers never see unbounded or malformed input: the server has refused it already.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPResponse
}

/// Routes by method and exact path; unknown paths get 404, known paths with another method 405.
public struct HTTPRouter: HTTPHandler {
    public typealias Route = @Sendable (HTTPRequest) async -> HTTPResponse
    private var routes: [String: [String: Route]] = [:]

    public init() {}

    /// Adds `route` for `method` and `path`.
    public mutating func add(_ method: String, _ path: String, _ route: @escaping Route) {
        routes[path, default: [:]][method] = route
    }

    /// Adds a route that must arrive sealed: `SealedRoute` opens it and seals the reply.
    public mutating func addSealed(_ method: String, _ path: String, _ route: SealedRoute) {
        add(method, path) { request in await route.handle(request) }
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        guard let byMethod = routes[String(request.path)] else { return .text(.notFound, "not found\n") }
        guard let route = byMethod[request.method] else { return .text(.methodNotAllowed, "method not allowed\n") }
        return await route(request)
    }
}
