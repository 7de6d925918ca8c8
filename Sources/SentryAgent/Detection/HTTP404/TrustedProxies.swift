import Shared

/// The reverse proxies and CDNs whose `X-Forwarded-For` the 404 detector believes
/// (`detectors.http404.trusted_proxies`), and the rule that picks the client behind them.
///
/// A client can send any `X-Forwarded-For` it likes, and each proxy appends the address it received the request from.
/// So the header is read only when `$remote_addr` is a trusted proxy, and from the right: the right-most address that
/// is not itself a trusted proxy is the first hop nobody trusted vouches for, the client. Anything left of it was
/// written by the client and is ignored.
struct TrustedProxies: Sendable {
    private struct Block: Sendable {
        var high: UInt64
        var low: UInt64
        var highMask: UInt64
        var lowMask: UInt64
    }

    private let blocks: [Block]

    init(_ networks: [IPNetwork]) {
        blocks = networks.map { network in
            let key = IPKey(network.address)
            // IPv4 keys are IPv4-mapped IPv6, so a v4 prefix covers the 96 bits of the mapping too.
            let (highMask, lowMask) = IPKey.mask(network.address.isIPv4 ? network.prefixLength + 96 : network.prefixLength)
            return Block(high: key.high & highMask, low: key.low & lowMask, highMask: highMask, lowMask: lowMask)
        }
    }

    var isEmpty: Bool { blocks.isEmpty }

    func contains(_ key: IPKey) -> Bool {
        for block in blocks where key.high & block.highMask == block.high && key.low & block.lowMask == block.low {
            return true
        }
        return false
    }

    /// The client behind trusted proxy hops, from the `$http_x_forwarded_for` value in `bytes[range]` of a request
    /// whose `$remote_addr` is trusted; nil when the value holds no usable address (absent, `-`, garbage, or only
    /// trusted proxies), in which case the caller keeps `$remote_addr`.
    func client(forwardedFor bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> IPKey? {
        var end = range.upperBound
        // A handful of hops is normal; a longer chain of trusted proxies is not worth scanning.
        var hops = 0
        while end > range.lowerBound, hops < 32 {
            hops += 1
            let comma = bytes.lastIndex(of: UInt8(ascii: ","), in: range.lowerBound..<end)
            var start = comma.map { $0 + 1 } ?? range.lowerBound
            var stop = end
            while start < stop, bytes[start] == UInt8(ascii: " ") { start += 1 }
            while stop > start, bytes[stop - 1] == UInt8(ascii: " ") { stop -= 1 }
            guard let hop = IPKey(bytes, start..<stop) else { return nil }
            if !contains(hop) { return hop }
            guard let comma else { return nil }
            end = comma
        }
        return nil
    }
}
