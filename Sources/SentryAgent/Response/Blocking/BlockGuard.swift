import Shared

/// The addresses the agent never blocks, whatever the hub asks: blocking them would cut the host off from itself,
/// its network or its operator. Checked before anything runs; a hit is answered `refused`. An IPv6 prefix is refused
/// when any of it is protected: it overlaps loopback, multicast, link-local or `never_block`, or contains the hub or
/// an address of this host.
struct BlockGuard: Sendable {
    /// `responses.never_block`.
    var neverBlock: [IPNetwork] = []
    /// Every address the hub's URL resolves to.
    var hubAddresses: [IPAddress] = []
    /// This host's interface addresses, read at each check so an address added since start-up is protected too.
    var localAddresses: @Sendable () -> [IPAddress] = InterfaceAddresses.current

    /// Ranges no block may touch (beside `never_block`): blocking any part of them breaks the host, not an attacker.
    private static let reservedIPv6: [(IPNetwork, String)] = [
        (IPNetwork("::1/128")!, "loopback"),
        (IPNetwork("::/128")!, "not a unicast address (unspecified)"),
        (IPNetwork("ff00::/8")!, "not a unicast address (multicast)"),
        (IPNetwork("fe80::/10")!, "link-local (blocking it can cut the host off from its router)"),
    ]

    /// Why `address` must not be blocked, or nil when it may be.
    func refusal(for address: IPAddress) -> BlockRefusal? {
        if address.isLoopback { return BlockRefusal("\(address) is a loopback address") }
        if address.isUnspecified || address.isMulticastOrBroadcast {
            return BlockRefusal("\(address) is not a unicast address")
        }
        if address.isLinkLocal {
            return BlockRefusal("\(address) is link-local (blocking it can cut the host off from its router)")
        }
        if hubAddresses.contains(address) { return BlockRefusal("\(address) is the hub's address") }
        if let network = neverBlock.first(where: { $0.contains(address) }) {
            return BlockRefusal("\(address) is in responses.never_block (\(network))")
        }
        if localAddresses().contains(address) { return BlockRefusal("\(address) is an address of this host") }
        return nil
    }

    /// Why `target` (one address or an IPv6 prefix) must not be blocked, or nil when it may be.
    func refusal(for target: IPNetwork) -> BlockRefusal? {
        guard !target.isHost else { return refusal(for: target.address) }
        let text = target.blockText
        if let (_, reason) = Self.reservedIPv6.first(where: { $0.0.overlaps(target) }) {
            return BlockRefusal("\(text) includes addresses that are \(reason)")
        }
        if let hub = hubAddresses.first(where: target.contains) { return BlockRefusal("\(text) contains the hub's address \(hub)") }
        if let network = neverBlock.first(where: { $0.overlaps(target) }) {
            return BlockRefusal("\(text) overlaps responses.never_block (\(network))")
        }
        if let own = localAddresses().first(where: target.contains) {
            return BlockRefusal("\(text) contains \(own), an address of this host")
        }
        return nil
    }
}
