import FoundationEssentials

/// The agent's sealed answer to `POST /blocks`: every address it blocks, with the time left (for the hub's `/blocks`).
public struct BlockList: Codable, Sendable, Equatable {
    /// One blocked address.
    public struct Entry: Codable, Sendable, Equatable {
        public var ip: String
        /// Seconds until the kernel lifts the block; nil for a permanent block.
        public var secondsLeft: Int64?

        public init(ip: String, secondsLeft: Int64?) {
            self.ip = ip
            self.secondsLeft = secondsLeft
        }
    }

    /// The firewall backend: `nftables`, `iptables+ipset` or `iptables`.
    public var backend: String
    public var entries: [Entry]
    public var listedAt: Date
    /// Set when the firewall could not be read (`firewall table not found …`); `entries` is then empty. Optional
    /// on the wire, so hubs and agents of either age understand each other.
    public var problem: String?

    public init(backend: String, entries: [Entry], listedAt: Date, problem: String? = nil) {
        self.backend = backend
        self.entries = entries
        self.listedAt = listedAt
        self.problem = problem
    }
}
