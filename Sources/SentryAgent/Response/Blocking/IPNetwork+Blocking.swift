import Shared

extension IPNetwork {
    /// The network of one address (`/32` or `/128`).
    init(host: IPAddress) {
        self.init(address: host, prefixLength: host.bitWidth)
    }

    /// True for a single address.
    var isHost: Bool { prefixLength == address.bitWidth }

    /// How blocks are written in results, firewall commands and `/blocks`: a single address bare (`203.0.113.7`), a
    /// prefix in CIDR form (`2001:db8:1:2::/64`).
    var blockText: String { isHost ? address.description : description }

}
