import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The addresses configured on this host's interfaces (`getifaddrs`), IPv4 and IPv6.
enum InterfaceAddresses {
    @Sendable static func current() -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var found: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            if let raw = entry.pointee.ifa_addr, let address = IPAddress(socketAddress: UnsafePointer(raw)) {
                found.append(address)
            }
            cursor = entry.pointee.ifa_next
        }
        return found
    }
}
