import FlyingSocks
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A response received by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// Errors `HTTPClient` reports; messages fit for a log line.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The outbound half of our HTTP layer: one bounded request per connection, plain HTTP, no URLSession.
///
/// The agent reaches the hub with it, so the agent links neither FoundationNetworking nor libcurl. Replies are
/// bounded like requests (head and body caps), and the whole exchange runs under one deadline.
public struct HTTPClient: Sendable {
    public var timeout: Duration
    public var maxResponseBytes: Int

    public init(timeout: Duration = .seconds(10), maxResponseBytes: Int = 1024 * 1024) {
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// Sends `request` to `endpoint` and reads the reply.
    public func send(_ request: HTTPRequest, to endpoint: HTTPEndpoint) async throws -> HTTPClientResponse {
        let deadline = ContinuousClock.now + timeout
        let maxResponseBytes = maxResponseBytes
        do {
            return try await withDeadline(deadline) {
                let socket = try await Self.connect(to: endpoint)
                defer { try? socket.close() }
                try await socket.write(Data(Self.serialize(request, host: endpoint)))
                var reader = MessageReader(socket: socket, maxHeadBytes: 16 * 1024, maxHeaderCount: 100, maxBodyBytes: maxResponseBytes)
                let (status, headers, body) = try await reader.readResponse(deadline: deadline)
                return HTTPClientResponse(status: status, headers: headers, body: body)
            }
        } catch is DeadlineExceeded {
            throw HTTPClientError("\(endpoint): no complete reply within \(timeout)")
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError("\(endpoint): \(error)")
        }
    }

    static func serialize(_ request: HTTPRequest, host endpoint: HTTPEndpoint) -> [UInt8] {
        var head = "\(request.method) \(endpoint.basePath)\(request.target) HTTP/1.1\r\n"
        head += "Host: \(endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host):\(endpoint.port)\r\n"
        for field in request.headers where !["host", "content-length", "connection"].contains(field.name.lowercased()) {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + request.body
    }

    private static func connect(to endpoint: HTTPEndpoint) async throws -> AsyncSocket {
        var lastError: any Error = HTTPClientError("\(endpoint.host): no address")
        let addresses: [IPAddress]
        do {
            addresses = try HostResolver.resolve(endpoint.host)
        } catch {
            throw HTTPClientError(error.description)
        }
        for address in addresses {
            do {
                if address.isIPv4 {
                    return try await AsyncSocket.connected(to: sockaddr_in.inet(ip4: address.description, port: endpoint.port))
                } else {
                    return try await AsyncSocket.connected(to: sockaddr_in6.inet6(ip6: address.description, port: endpoint.port))
                }
            } catch SocketError.disconnected {
                // FlyingSocks reports a connect the peer answered with RST (EPOLLERR|EPOLLHUP) as "disconnected".
                lastError = HTTPClientError("\(endpoint): connection refused")
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}
