import Shared

/// A kernel firewall the agent drops traffic with. Implementations only translate; the policy (refusals, extending
/// rather than shortening, what to report) lives in `BlockResponder`, the same for every backend.
///
/// Every block lives in the kernel with its own expiry, so a block ends on time even if the agent is dead.
protocol Firewall: Sendable {
    /// How the agent names this backend in logs and results: `nftables`, `iptables+ipset`, `iptables`.
    var name: String { get }

    /// Creates Vigil's table, sets and chains if missing, keeping every existing block. Idempotent.
    func prepare() async throws(FirewallError)

    /// The block on exactly `target` (one address, or an IPv6 prefix), or nil when there is none.
    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry?

    /// Blocks every target (single addresses and IPv6 prefixes) for `duration` (nil: permanent) in one kernel
    /// transaction where the backend has one, replacing the expiry of targets already blocked.
    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError)

    /// Lifts the block on `target`; the caller has checked it exists.
    func remove(_ target: IPNetwork) async throws(FirewallError)

    /// Every current block with its time left.
    func list() async throws(FirewallError) -> [BlockEntry]
}

/// One blocked address or IPv6 prefix.
struct BlockEntry: Sendable, Equatable, CustomStringConvertible {
    var target: IPNetwork
    /// Time until the kernel drops the block; nil for a permanent block.
    var timeLeft: Duration?

    init(target: IPNetwork, timeLeft: Duration?) {
        self.target = target
        self.timeLeft = timeLeft
    }

    /// The block on one address.
    init(address: IPAddress, timeLeft: Duration?) {
        self.init(target: IPNetwork(host: address), timeLeft: timeLeft)
    }

    /// The blocked address (a prefix's first address).
    var address: IPAddress { target.address }

    var description: String {
        guard let timeLeft else { return "\(target.blockText) (permanent)" }
        return "\(target.blockText) (\(DurationText.describe(timeLeft)) left)"
    }
}

/// A firewall program failed or printed something we cannot read; the message goes into the `failed` result.
struct FirewallError: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    /// The failure of `invocation`, named by its program.
    init(_ invocation: ProgramInvocation, _ output: ProgramOutput) {
        let program = invocation.executable.split(separator: "/").last.map(String.init) ?? invocation.executable
        description = "\(program) failed (\(output.failureReason))"
    }
}
