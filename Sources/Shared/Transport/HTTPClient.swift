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
        for address in try resolve(endpoint.host) {
            do {
                switch address {
                case .v4(let text):
                    return try await AsyncSocket.connected(to: sockaddr_in.inet(ip4: text, port: endpoint.port))
                case .v6(let text):
                    return try await AsyncSocket.connected(to: sockaddr_in6.inet6(ip6: text, port: endpoint.port))
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

    private enum ResolvedAddress { case v4(String), v6(String) }

    /// Resolves names with getaddrinfo; literals resolve to themselves without a lookup.
    private static func resolve(_ host: String) throws -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw HTTPClientError("\(host): cannot resolve (\(String(cString: gai_strerror(status))))")
        }
        defer { freeaddrinfo(list) }
        var results: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if info.pointee.ai_family == AF_INET, let raw = info.pointee.ai_addr {
                var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
                results.append(.v4(Self.text(buffer)))
            } else if info.pointee.ai_family == AF_INET6, let raw = info.pointee.ai_addr {
                var address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
                results.append(.v6(Self.text(buffer)))
            }
            cursor = info.pointee.ai_next
        }
        return results
    }

    private static func text(_ cString: [CChar]) -> String {
        String(decoding: cString.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
