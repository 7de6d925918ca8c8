import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Asks the kernel for its listening sockets through NETLINK_SOCK_DIAG, the way `ss` does: a dump request per
/// (family, protocol) with a state filter, so the kernel walks its listening hash and skips established connections.
/// A poll costs O(listeners), not O(connections), which reading `/proc/net/tcp` cannot offer.
///
/// The socket is opened per scan: a netlink socket belongs to the network namespace it was created in, and one scan
/// opening and closing its own costs a few microseconds.
struct SocketDiagnostics: Sendable {
    /// A dump failed: the kernel refused it (no `inet_diag` module, a seccomp filter) or the socket could not be opened.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Every listening TCP socket and unconnected UDP socket, IPv4 and IPv6.
    func listeningSockets() throws(Failure) -> [ListeningSocket] {
        let descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Self.netlinkSockDiag)
        guard descriptor >= 0 else { throw Failure(description: "cannot open a NETLINK_SOCK_DIAG socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sockets: [ListeningSocket] = []
        var sequence: UInt32 = 1
        for transport in ListeningSocket.Transport.allCases {
            for family in [UInt8(AF_INET), UInt8(AF_INET6)] {
                try dump(descriptor, family: family, transport: transport, sequence: sequence, into: &sockets)
                sequence += 1
            }
        }
        return sockets
    }

    private func dump(
        _ descriptor: Int32, family: UInt8, transport: ListeningSocket.Transport, sequence: UInt32, into sockets: inout [ListeningSocket]
    ) throws(Failure) {
        let request = Self.request(family: family, transport: transport, sequence: sequence)
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { throw Failure(description: "cannot send the sock_diag request: \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 32_768)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received < 0, errno == EINTR { continue }
            guard received > 0 else { throw Failure(description: "no sock_diag answer: \(String(cString: strerror(errno)))") }
            let outcome = buffer.withUnsafeBufferPointer { bytes in
                Self.parse(UnsafeBufferPointer(rebasing: bytes[0..<received]), transport: transport, into: &sockets)
            }
            switch outcome {
            case .more: continue
            case .done: return
            case .failed(let reason): throw Failure(description: reason)
            }
        }
    }

    // MARK: - Wire layout (linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h)

    static let netlinkSockDiag: Int32 = 4
    static let sockDiagByFamily: UInt16 = 20
    static let messageDone: UInt16 = 3
    static let messageError: UInt16 = 2
    /// NLM_F_REQUEST | NLM_F_DUMP.
    static let dumpFlags: UInt16 = 0x0301
    static let headerSize = 16
    /// `struct inet_diag_req_v2`: family, protocol, ext, pad, states, then a 48-byte `inet_diag_sockid`.
    static let requestSize = 56
    /// `struct inet_diag_msg` up to and including `idiag_inode`.
    static let messageSize = 72

    /// The TCP state a listening socket is in (TCP_LISTEN), and the one an unconnected UDP socket is in (TCP_CLOSE).
    static func stateFilter(_ transport: ListeningSocket.Transport) -> UInt32 {
        switch transport {
        case .tcp: 1 << 10
        case .udp: 1 << 7
        }
    }

    /// An `nlmsghdr` and `inet_diag_req_v2` asking for every socket of one family and protocol in the listening state.
    static func request(family: UInt8, transport: ListeningSocket.Transport, sequence: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + requestSize)
        bytes.appendLittleEndian(UInt32(headerSize + requestSize))
        bytes.appendLittleEndian(sockDiagByFamily)
        bytes.appendLittleEndian(dumpFlags)
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(UInt32(0))
        bytes += [family, transport == .tcp ? 6 : 17, 0, 0]
        bytes.appendLittleEndian(stateFilter(transport))
        bytes += [UInt8](repeating: 0, count: 48)
        return bytes
    }

    /// What one datagram of a dump said.
    enum ParseOutcome: Equatable {
        /// More datagrams follow.
        case more
        /// The dump's `NLMSG_DONE` was seen.
        case done
        case failed(String)
    }

    /// Parses one datagram of a dump into `sockets`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, transport: ListeningSocket.Transport, into sockets: inout [ListeningSocket])
        -> ParseOutcome
    {
        var offset = 0
        while offset + headerSize <= bytes.count {
            let length = Int(bytes.littleEndianUInt32(at: offset))
            guard length >= headerSize, offset + length <= bytes.count else { return .failed("a truncated sock_diag message") }
            let type = UInt16(bytes[offset + 4]) | UInt16(bytes[offset + 5]) << 8
            let payload = offset + headerSize
            switch type {
            case messageDone:
                return .done
            case messageError:
                let code = length >= headerSize + 4 ? Int32(bitPattern: bytes.littleEndianUInt32(at: payload)) : 0
                return .failed("the kernel refused the sock_diag dump: \(String(cString: strerror(-code)))")
            case sockDiagByFamily where length >= headerSize + messageSize:
                if let socket = decodeSocket(in: bytes, at: payload, transport: transport) { sockets.append(socket) }
            default:
                break
            }
            offset += (length + 3) & ~3
        }
        return .more
    }

    /// One `inet_diag_msg`: family at 0, source port (big-endian) at 4, source address at 8, uid at 64, inode at 68.
    private static func decodeSocket(in bytes: UnsafeBufferPointer<UInt8>, at start: Int, transport: ListeningSocket.Transport) -> ListeningSocket? {
        let port = UInt16(bytes[start + 4]) << 8 | UInt16(bytes[start + 5])
        let address: IPAddress
        switch Int32(bytes[start]) {
        case AF_INET:
            address = .v4(bytes.bigEndianUInt32(at: start + 8))
        case AF_INET6:
            let high = UInt64(bytes.bigEndianUInt32(at: start + 8)) << 32 | UInt64(bytes.bigEndianUInt32(at: start + 12))
            let low = UInt64(bytes.bigEndianUInt32(at: start + 16)) << 32 | UInt64(bytes.bigEndianUInt32(at: start + 20))
            address = .v6(high, low)
        default:
            return nil
        }
        return ListeningSocket(
            transport: transport, address: address, port: port, inode: UInt64(bytes.littleEndianUInt32(at: start + 68)),
            uid: bytes.littleEndianUInt32(at: start + 64))
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: 0, to: T.bitWidth, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    fileprivate func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    fileprivate func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
}
