#if canImport(Glibc)
    import Glibc
#endif

/// Turns a host name from the configuration into addresses (the agent must never block its hub, whichever way the
/// hub's URL names it). A literal resolves to itself without a lookup.
public enum HostResolver {
    /// Every address `host` resolves to; empty when it does not resolve.
    public static func addresses(of host: String) -> [IPAddress] {
        (try? resolve(host)) ?? []
    }

    /// Every address `host` resolves to, in the resolver's order; the error says why there is none.
    public static func resolve(_ host: String) throws(HostResolverError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { throw HostResolverError(description: "\(host): cannot resolve (\(String(cString: gai_strerror(status))))") }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var cursor = list
        while let info = cursor {
            if let raw = info.pointee.ai_addr, let address = IPAddress(socketAddress: raw) {
                if !found.contains(address) { found.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        guard !found.isEmpty else { throw HostResolverError(description: "\(host): no address") }
        return found
    }
}

/// A host name that did not resolve; the message names it and the resolver's reason.
public struct HostResolverError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

extension IPAddress {
    /// The address inside a `sockaddr_in` or `sockaddr_in6`; nil for other families.
    public init?(socketAddress raw: UnsafePointer<sockaddr>) {
        switch Int32(raw.pointee.sa_family) {
        case AF_INET:
            let value = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            self.init(v4: UInt32(bigEndian: value))
        case AF_INET6:
            let bytes = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
            self.init(v6Bytes: bytes)
        default:
            return nil
        }
    }

    /// An IPv4 address from its 32-bit host-order value.
    init(v4 value: UInt32) {
        self = .v4(value)
    }

    /// An IPv6 address from its 16 network-order bytes, IPv4-mapped ones unwrapped.
    init(v6Bytes bytes: [UInt8]) {
        let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if high == 0, low >> 32 == 0xFFFF {
            self = .v4(UInt32(truncatingIfNeeded: low))
        } else {
            self = .v6(high, low)
        }
    }
}
