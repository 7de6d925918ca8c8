import Shared

/// A kernel firewall that drops traffic to a local port. Like `Firewall`, implementations only translate; the
/// refusals (the agent's own port, sshd's, the hub's) live in `PortBlockResponder`.
protocol PortFirewall: Sendable {
    /// Creates the port sets and chain if missing, keeping every blocked port, and rewrites the exemptions
    /// (loopback always, and `exempt`: `responses.never_block`). Idempotent.
    func preparePorts(exempt: [IPNetwork]) async throws(FirewallError)

    /// Drops new traffic to `port` from everywhere but the exemptions, until it is unblocked (no expiry).
    func block(_ port: BlockedPort) async throws(FirewallError)

    /// Lifts the block; the caller has checked it exists.
    func unblock(_ port: BlockedPort) async throws(FirewallError)

    /// Every blocked port.
    func blockedPorts() async throws(FirewallError) -> [BlockedPort]
}

/// A blocked port: `tcp/8080`.
struct BlockedPort: Sendable, Hashable, CustomStringConvertible {
    enum Transport: String, Sendable, CaseIterable {
        case tcp, udp
    }

    var transport: Transport
    var port: UInt16

    var description: String { "\(transport.rawValue)/\(port)" }
}

/// Stands in when the firewall backend has no port blocks (iptables for now), or none is installed.
struct UnavailablePortFirewall: PortFirewall {
    let reason: String

    func preparePorts(exempt: [IPNetwork]) async throws(FirewallError) { throw FirewallError(reason) }
    func block(_ port: BlockedPort) async throws(FirewallError) { throw FirewallError(reason) }
    func unblock(_ port: BlockedPort) async throws(FirewallError) { throw FirewallError(reason) }
    func blockedPorts() async throws(FirewallError) -> [BlockedPort] { throw FirewallError(reason) }
}
