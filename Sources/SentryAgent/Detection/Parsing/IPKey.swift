import Shared

/// A client address as a 16-byte value: the detectors' table key, parsed straight from log bytes.
///
/// IPv4 is parsed byte by byte (it is most of the traffic); IPv6 goes through the strict `IPAddress` parser. IPv4
/// is stored as the IPv4-mapped IPv6 address, so `::ffff:1.2.3.4` and `1.2.3.4` are one client, as in `IPAddress`.
struct IPKey: Hashable, Sendable, CustomStringConvertible {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ address: IPAddress) {
        switch address {
        case .v4(let value):
            self.init(v4: value)
        case .v6(let high, let low):
            self.init(high: high, low: low)
        }
    }

    init(v4 value: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(value))
    }

    /// Parses the address in `bytes[range]`, or returns nil for anything that is not exactly one address.
    init?(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard !range.isEmpty, range.upperBound <= bytes.count, range.count <= 45 else { return nil }
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        var isIPv4 = true
        for index in range {
            let byte = bytes[index]
            if byte &- 0x30 < 10 {
                // A leading zero makes a second digit invalid, as in `IPAddress` (no octal ambiguity).
                if digits == 1, octet == 0 {
                    isIPv4 = false
                    break
                }
                octet = octet * 10 + UInt32(byte &- 0x30)
                digits += 1
                if digits > 3 || octet > 255 {
                    isIPv4 = false
                    break
                }
            } else if byte == UInt8(ascii: "."), digits > 0, dots < 3 {
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else {
                isIPv4 = false
                break
            }
        }
        if isIPv4 {
            guard dots == 3, digits > 0 else { return nil }
            self.init(v4: value << 8 | octet)
            return
        }
        guard let address = IPAddress(bytes.string(range)) else { return nil }
        self.init(address)
    }

    var address: IPAddress {
        if high == 0, low >> 32 == 0xFFFF { return .v4(UInt32(truncatingIfNeeded: low)) }
        return .v6(high, low)
    }

    var description: String { address.description }

    /// True for IPv4 (stored IPv4-mapped).
    var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The key an address is counted under: IPv6 addresses by their network of `ipv6Prefix` bits (an IPv6 client
    /// can pick any of its /64's 2^64 addresses per request), IPv4 addresses alone.
    func counted(ipv6Prefix prefix: Int) -> IPKey {
        guard prefix < 128, !isIPv4 else { return self }
        let (highMask, lowMask) = Self.mask(prefix)
        return IPKey(high: high & highMask, low: low & lowMask)
    }

    /// True if this key stands for a whole IPv6 network (a key made by `counted(ipv6Prefix:)` with a prefix < 128).
    func isNetwork(ipv6Prefix prefix: Int) -> Bool { prefix < 128 && !isIPv4 }

    /// How an alert names the key: the address, or for an IPv6 prefix the network in CIDR form (`2001:db8:1:2::/64`).
    func subject(ipv6Prefix prefix: Int) -> String {
        isNetwork(ipv6Prefix: prefix) ? "\(address)/\(prefix)" : description
    }

    /// The masks keeping the first `prefix` bits of (high, low).
    static func mask(_ prefix: Int) -> (high: UInt64, low: UInt64) {
        let bits = min(max(prefix, 0), 128)
        let high: UInt64 = bits >= 64 ? .max : (bits == 0 ? 0 : .max << UInt64(64 - bits))
        let low: UInt64 = bits <= 64 ? 0 : (bits == 128 ? .max : .max << UInt64(128 - bits))
        return (high, low)
    }
}
