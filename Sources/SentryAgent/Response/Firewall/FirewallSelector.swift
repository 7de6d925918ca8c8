import Shared

/// Picks the firewall backend: nftables when `nft` is installed, else iptables/ip6tables, with ipset when present.
struct FirewallSelector: Sendable {
    var locator = ProgramLocator()
    var runner: any CommandRunner

    /// Why no backend could be chosen.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    func select(_ choice: ResponsesConfiguration.FirewallChoice) throws(Unavailable) -> any Firewall {
        let nft = locator.path(of: "nft")
        switch choice {
        case .nftables:
            guard let nft else { throw Unavailable(description: "responses.firewall is nftables but nft is not installed") }
            return NFTablesFirewall(nft: nft, runner: runner)
        case .auto:
            if let nft { return NFTablesFirewall(nft: nft, runner: runner) }
            return try iptables()
        case .iptables:
            return try iptables()
        }
    }

    private func iptables() throws(Unavailable) -> IPTablesFirewall {
        guard let iptables = locator.path(of: "iptables"), let ip6tables = locator.path(of: "ip6tables") else {
            throw Unavailable(description: "neither nft nor iptables and ip6tables are installed; IP blocks cannot run")
        }
        return IPTablesFirewall(iptables: iptables, ip6tables: ip6tables, ipset: locator.path(of: "ipset"), runner: runner)
    }
}
