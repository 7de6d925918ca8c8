import FoundationEssentials
import Shared

/// Port blocks in the same `table inet vigil`: two sets of ports and a chain of their own on the input hook.
///
/// ```
/// set ports_tcp { type inet_service; }
/// set ports_udp { type inet_service; }
/// chain ports { type filter hook input priority filter - 10; policy accept;
///               iif lo accept; ip saddr { never_block… } accept; ip6 saddr { never_block… } accept;
///               tcp dport @ports_tcp counter drop; udp dport @ports_udp counter drop }
/// ```
/// The exemptions are `accept` in this chain only: they end this chain's verdict, and the address blocks in `input`
/// still apply to them (an exempt network is never address-blocked anyway: `BlockGuard` refuses it).
extension NFTablesFirewall: PortFirewall {
    static func portSetName(_ transport: BlockedPort.Transport) -> String { "ports_\(transport.rawValue)" }

    /// The setup transaction: the sets are added (keeping their elements), the chain is flushed and refilled.
    static func portsSetupScript(exempt: [IPNetwork]) -> String {
        var script = """
            add table inet vigil
            add set inet vigil ports_tcp { type inet_service; }
            add set inet vigil ports_udp { type inet_service; }
            add chain inet vigil ports { type filter hook input priority filter - 10; policy accept; }
            flush chain inet vigil ports
            add rule inet vigil ports iif lo accept

            """
        let v4 = exempt.filter(\.address.isIPv4).map(\.description)
        let v6 = exempt.filter { !$0.address.isIPv4 }.map(\.description)
        if !v4.isEmpty { script += "add rule inet vigil ports ip saddr { \(v4.joined(separator: ", ")) } accept\n" }
        if !v6.isEmpty { script += "add rule inet vigil ports ip6 saddr { \(v6.joined(separator: ", ")) } accept\n" }
        script += "add rule inet vigil ports tcp dport @ports_tcp counter drop\n"
        script += "add rule inet vigil ports udp dport @ports_udp counter drop\n"
        return script
    }

    func preparePorts(exempt: [IPNetwork]) async throws(FirewallError) {
        try await portTransaction(Self.portsSetupScript(exempt: exempt))
    }

    func block(_ port: BlockedPort) async throws(FirewallError) {
        try await portTransaction("add element inet vigil \(Self.portSetName(port.transport)) { \(port.port) }\n")
    }

    func unblock(_ port: BlockedPort) async throws(FirewallError) {
        try await portTransaction("delete element inet vigil \(Self.portSetName(port.transport)) { \(port.port) }\n")
    }

    func blockedPorts() async throws(FirewallError) -> [BlockedPort] {
        var blocked: [BlockedPort] = []
        for transport in BlockedPort.Transport.allCases {
            let invocation = ProgramInvocation(nft, ["-j", "list", "set", "inet", Self.table, Self.portSetName(transport)], timeout: .seconds(30))
            let output = await runner.run(invocation)
            guard output.succeeded else {
                // No set yet: nothing was ever blocked.
                if case .exited = output.termination, output.errorText.contains("No such file or directory") { continue }
                throw FirewallError(invocation, output)
            }
            guard let ports = NFTPortSet.ports(fromJSON: output.standardOutput) else {
                throw FirewallError("nft printed a set listing that is not the expected JSON")
            }
            blocked += ports.map { BlockedPort(transport: transport, port: $0) }
        }
        return blocked
    }

    private func portTransaction(_ script: String) async throws(FirewallError) {
        let invocation = ProgramInvocation(nft, ["-f", "-"], standardInput: Array(script.utf8), timeout: .seconds(30))
        let output = await runner.run(invocation)
        guard output.succeeded else { throw FirewallError(invocation, output) }
    }
}

/// Reads `nft -j list set inet vigil ports_tcp`: `{"nftables": [{"metainfo": …}, {"set": {…, "elem": [8080, 9000]}}]}`.
enum NFTPortSet {
    private struct Listing: Decodable {
        var nftables: [Entry]
    }

    private struct Entry: Decodable {
        var set: PortSet?
    }

    private struct PortSet: Decodable {
        var elem: [UInt16]?
    }

    static func ports(fromJSON bytes: [UInt8]) -> [UInt16]? {
        do {
            let listing = try JSONDecoder().decode(Listing.self, from: Data(bytes))
            return listing.nftables.flatMap { $0.set?.elem ?? [] }
        } catch {
            return nil
        }
    }
}
