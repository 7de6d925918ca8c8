import Shared

/// Stands in when no firewall program is installed: every block fails with the reason, so the hub hears why.
struct UnavailableFirewall: Firewall {
    let reason: String
    var name: String { "none" }

    func prepare() async throws(FirewallError) { throw FirewallError(reason) }
    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry? { throw FirewallError(reason) }
    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError) { throw FirewallError(reason) }
    func remove(_ target: IPNetwork) async throws(FirewallError) { throw FirewallError(reason) }
    func list() async throws(FirewallError) -> [BlockEntry] { throw FirewallError(reason) }
}
