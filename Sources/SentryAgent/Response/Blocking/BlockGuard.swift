import Shared

/// The addresses the agent never blocks, whatever the hub asks: blocking them would cut the host off from itself,
/// its network or its operator. Checked before anything runs; a hit is answered `refused`.
struct BlockGuard: Sendable {
    /// `responses.never_block`.
    var neverBlock: [IPNetwork] = []
    /// Every address the hub's URL resolves to.
    var hubAddresses: [IPAddress] = []
    /// This host's interface addresses, read at each check so an address added since start-up is protected too.
    var localAddresses: @Sendable () -> [IPAddress] = InterfaceAddresses.current

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
}
