import Shared

/// Turns the `ip` of a block or unblock command into what the firewall blocks, strictly: an IPv4 dotted quad without
/// leading zeros or an IPv6 address (IPv4-mapped ones become IPv4), optionally written with a single-host prefix
/// (`/32`, `/128`); or an IPv6 prefix in CIDR form from `/min_ipv6_prefix` to `/128`, canonicalized (host bits zeroed:
/// `2001:db8:1:2::9/64` blocks `2001:db8:1:2::/64`). IPv4 networks, hostnames, ports, zone ids, whitespace and
/// anything after the address are refused, so what reaches the firewall program is always text Vigil printed itself,
/// never the text it received.
enum BlockTarget {
    /// Longer than any spelling of one address with its prefix.
    static let maxLength = 49

    static func parse(_ text: String, minIPv6Prefix: Int = ResponsesConfiguration().minIPv6Prefix) -> Result<IPNetwork, BlockRefusal> {
        guard !text.isEmpty else { return .failure(BlockRefusal("no address given")) }
        guard text.utf8.count <= maxLength else { return .failure(BlockRefusal("too long to be an IP address")) }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(BlockRefusal("not an IP address (it contains spaces or control characters)"))
        }
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let address = IPAddress(pieces[0]) else {
            return .failure(BlockRefusal("not an IPv4 or IPv6 address (hostnames, ports and extra text are refused)"))
        }
        guard pieces.count == 2 else { return .success(IPNetwork(host: address)) }
        let digits = pieces[1]
        guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), digits == "0" || !digits.hasPrefix("0"),
            let length = Int(digits), length <= address.bitWidth
        else { return .failure(BlockRefusal("not a valid address/prefix")) }
        if address.isIPv4 {
            guard length == 32 else {
                return .failure(BlockRefusal("\(text) is an IPv4 network; IPv4 blocks are single addresses (/32)"))
            }
            return .success(IPNetwork(host: address))
        }
        guard length >= minIPv6Prefix else {
            return .failure(
                BlockRefusal(
                    "\(text) is wider than /\(minIPv6Prefix); IPv6 prefixes from /\(minIPv6Prefix) to /128 are blocked (responses.min_ipv6_prefix)"
                ))
        }
        return .success(IPNetwork(address: address, prefixLength: length))
    }
}

/// Why a block is refused: a line for the operator.
struct BlockRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
