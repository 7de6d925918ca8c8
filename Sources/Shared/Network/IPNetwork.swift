/// A CIDR block such as `10.0.0.0/8` or `2001:db8::/32`, parsed strictly: the host bits must be zero and the prefix
/// is plain decimal without leading zeros, so `10.0.0.1/8` (did you mean `10.0.0.0/8`?) is a mistake, not a guess.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address (a single host).
    public init?(_ text: some StringProtocol) {
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let address = IPAddress(pieces[0]) else { return nil }
        var length = address.bitWidth
        if pieces.count == 2 {
            let digits = pieces[1]
            guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy(HTTPHeadParser.isDigit),
                digits == "0" || !digits.hasPrefix("0"), let parsed = Int(digits), parsed <= address.bitWidth
            else { return nil }
            length = parsed
        }
        guard address.masked(toPrefix: length) == address else { return nil }
        self.address = address
        self.prefixLength = length
    }

    /// A block from an address and a prefix; the host bits are cleared.
    public init(address: IPAddress, prefixLength: Int) {
        let length = min(max(prefixLength, 0), address.bitWidth)
        self.address = address.masked(toPrefix: length)
        self.prefixLength = length
    }

    /// True if `candidate` lies inside this block.
    public func contains(_ candidate: IPAddress) -> Bool {
        candidate.isIPv4 == address.isIPv4 && candidate.masked(toPrefix: prefixLength) == address
    }

    /// True if the two blocks share at least one address (one contains the other's first address).
    public func overlaps(_ other: IPNetwork) -> Bool {
        contains(other.address) || other.contains(address)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
