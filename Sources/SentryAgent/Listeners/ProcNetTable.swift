import Shared

/// The fallback source of listening sockets: `/proc/net/{tcp,tcp6,udp,udp6}` of the agent's network namespace, for
/// kernels or sandboxes where sock_diag is refused. It costs O(all sockets), which is why it is only the fallback.
struct ProcNetTable: Sendable {
    let proc: ProcFileSystem

    /// Every listening TCP socket (state 0A) and unconnected UDP socket (state 07) of the four tables.
    func listeningSockets() -> [ListeningSocket]? {
        var sockets: [ListeningSocket] = []
        var readAny = false
        for (table, transport) in [("net/tcp", ListeningSocket.Transport.tcp), ("net/tcp6", .tcp), ("net/udp", .udp), ("net/udp6", .udp)] {
            guard let bytes = proc.read(table, limit: 256 << 20) else { continue }
            readAny = true
            bytes.withUnsafeBufferPointer { sockets += Self.parse($0, transport: transport) }
        }
        return readAny ? sockets : nil
    }

    /// Parses one table: `sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode …`; addresses are
    /// hex words in host byte order, ports hex.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, transport: ListeningSocket.Transport) -> [ListeningSocket] {
        let wantedState = transport == .tcp ? "0A" : "07"
        var sockets: [ListeningSocket] = []
        for columns in rows(in: bytes) {
            guard columns.count == 10, bytes.string(columns[3]) == wantedState else { continue }
            let local = bytes.string(columns[1])
            guard let colon = local.firstIndex(of: ":"), let port = UInt16(local[local.index(after: colon)...], radix: 16),
                let address = Self.address(hex: local[..<colon]), let uid = UInt32(bytes.string(columns[7])),
                let inode = UInt64(bytes.string(columns[9]))
            else { continue }
            sockets.append(ListeningSocket(transport: transport, address: address, port: port, inode: inode, uid: uid))
        }
        return sockets
    }

    /// The rows of a `/proc/net/{tcp,udp}{,6}` table after its header, each as the byte ranges of its first ten
    /// space-separated columns (`sl local rem st tx:rx tr:tm retrnsmt uid timeout inode`); a short row has fewer.
    static func rows(in bytes: UnsafeBufferPointer<UInt8>) -> Rows {
        Rows(bytes: bytes, lineStart: (bytes.index(of: UInt8(ascii: "\n"), from: 0) ?? bytes.count) + 1)
    }

    /// Iterates a table's rows without copying them.
    struct Rows: Sequence, IteratorProtocol {
        let bytes: UnsafeBufferPointer<UInt8>
        var lineStart: Int

        mutating func next() -> [Range<Int>]? {
            guard lineStart < bytes.count else { return nil }
            let lineEnd = bytes.index(of: UInt8(ascii: "\n"), from: lineStart) ?? bytes.count
            var columns: [Range<Int>] = []
            columns.reserveCapacity(10)
            var index = lineStart
            while index < lineEnd, columns.count < 10 {
                while index < lineEnd, bytes[index] == UInt8(ascii: " ") { index += 1 }
                let start = index
                while index < lineEnd, bytes[index] != UInt8(ascii: " ") { index += 1 }
                if index > start { columns.append(start..<index) }
            }
            lineStart = lineEnd + 1
            return columns
        }
    }

    /// An address as the kernel prints it: 8 or 32 hex digits, each 32-bit word in host (little-endian) order.
    static func address(hex: Substring) -> IPAddress? {
        let words = stride(from: 0, to: hex.count, by: 8).compactMap { offset -> UInt32? in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            let end = hex.index(start, offsetBy: 8, limitedBy: hex.endIndex) ?? hex.endIndex
            return UInt32(hex[start..<end], radix: 16).map { $0.byteSwapped }
        }
        switch (hex.count, words.count) {
        case (8, 1): return .v4(words[0])
        case (32, 4): return .v6(UInt64(words[0]) << 32 | UInt64(words[1]), UInt64(words[2]) << 32 | UInt64(words[3]))
        default: return nil
        }
    }
}
