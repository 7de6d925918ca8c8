#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address parsed strictly: no hostnames, no ports, no zone ids, no leading zeros, no junk.
///
/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are unwrapped to IPv4, so one host has one spelling: a block or an
/// allowlist check cannot be dodged by writing the same address differently.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    /// Parses `text`, or returns nil for anything that is not exactly one address.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if text.utf8.allSatisfy({ HTTPHeadParser.isDigit($0) || $0 == UInt8(ascii: ".") }) {
            guard let value = Self.parseIPv4(text) else { return nil }
            self = .v4(value)
            return
        }
        guard text.utf8.allSatisfy(Self.isIPv6Byte) else { return nil }
        var storage = in6_addr()
        guard inet_pton(AF_INET6, String(text), &storage) == 1 else { return nil }
        self.init(v6Bytes: withUnsafeBytes(of: storage) { Array($0) })
    }

    private static func parseIPv4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part == "0" || !part.hasPrefix("0"), let octet = UInt32(part), octet <= 255 else {
                return nil
            }
            value = value << 8 | octet
        }
        return value
    }

    private static func isIPv6Byte(_ byte: UInt8) -> Bool {
        HTTPHeadParser.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// Canonical text: dotted quad, or RFC 5952 IPv6.
    public var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        case .v6(let high, let low):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for index in 0..<8 {
                    raw[index] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * index))
                    raw[8 + index] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * index))
                }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
