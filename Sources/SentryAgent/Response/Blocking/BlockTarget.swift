import Shared

/// Turns the `ip` of a block or unblock command into one address, strictly: an IPv4 dotted quad without leading
/// zeros or an IPv6 address (IPv4-mapped ones become IPv4), optionally written with a single-host prefix (`/32`,
/// `/128`). Hostnames, ports, zone ids, networks, whitespace and anything after the address are refused, so what
/// reaches the firewall program is always an address Vigil printed itself, never the text it received.
enum BlockTarget {
    /// Longer than any spelling of one address with its prefix.
    static let maxLength = 49

    static func parse(_ text: String) -> Result<IPAddress, BlockRefusal> {
        guard !text.isEmpty else { return .failure(BlockRefusal("no address given")) }
        guard text.utf8.count <= maxLength else { return .failure(BlockRefusal("too long to be an IP address")) }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(BlockRefusal("not an IP address (it contains spaces or control characters)"))
        }
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let address = IPAddress(pieces[0]) else {
            return .failure(BlockRefusal("not an IPv4 or IPv6 address (hostnames, ports and extra text are refused)"))
        }
        if pieces.count == 2 {
            guard let network = IPNetwork(text) else { return .failure(BlockRefusal("not a valid address/prefix")) }
            guard network.prefixLength == address.bitWidth else {
                return .failure(
                    BlockRefusal("\(network) is a network of more than one address; only single addresses (/\(address.bitWidth)) are blocked"))
            }
        }
        return .success(address)
    }
}

/// Why a block is refused: a line for the operator.
struct BlockRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
