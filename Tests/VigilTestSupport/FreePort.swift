import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback TCP ports for tests that must name a port before the server starts (a config file, another process).
public enum FreePort {
    /// A port nobody listens on right now on 127.0.0.1, found by binding port 0 and closing again. Another process may
    /// take it before the caller binds it; with the kernel's ephemeral ports handed out in turn, that is rare.
    public static func loopback() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free loopback port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}
