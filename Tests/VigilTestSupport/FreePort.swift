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

/// A loopback port bound but not listening, for as long as this value lives: a connection to it is refused at once,
/// and no other test's server can take the port meanwhile (a port merely closed again may be handed to one, whose
/// reply then stands where "connection refused" was expected).
public final class RefusingPort: Sendable {
    public let port: UInt16
    private let descriptor: Int32

    /// Holds `port`; throws when something listens on it already.
    public init(_ port: UInt16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        // The listener that had the port may leave connections in TIME_WAIT; they must not stop the bind.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound else {
            let error = errno
            close(descriptor)
            throw TestFailure("cannot hold port \(port): errno \(error)")
        }
        self.port = port
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
