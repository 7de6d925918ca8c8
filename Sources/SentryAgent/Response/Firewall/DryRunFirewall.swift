import FoundationEssentials
import Shared
import Synchronization

/// The firewall of `sentry-agent run --dry-run`: the real backend's commands are recorded, never run (its runner
/// is a `RecordingCommandRunner`), and the blocks it would hold are remembered here with their expiry, so `/blocks`,
/// a second block (extend, or "already blocked") and Unblock behave as they would for real.
final class DryRunFirewall: Firewall {
    private let inner: any Firewall
    private let now: @Sendable () -> Date
    /// Simulated blocks: address or IPv6 prefix → expiry (nil: permanent).
    private let blocks = Mutex<[IPNetwork: Date?]>([:])

    init(recording inner: any Firewall, now: @escaping @Sendable () -> Date = Date.init) {
        self.inner = inner
        self.now = now
    }

    var name: String { "\(inner.name), dry run" }

    func prepare() async throws(FirewallError) {
        try await inner.prepare()
    }

    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry? {
        current().first { $0.target == target }
    }

    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError) {
        try await inner.add(targets, for: duration)
        let expiry = duration.map { now().addingTimeInterval(TimeInterval($0.components.seconds)) }
        blocks.withLock { blocks in
            for target in targets { blocks[target] = .some(expiry) }
        }
    }

    func remove(_ target: IPNetwork) async throws(FirewallError) {
        try await inner.remove(target)
        _ = blocks.withLock { $0.removeValue(forKey: target) }
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        current()
    }

    /// The simulated blocks still in force, as the kernel would list them (expired ones are dropped, as it would).
    private func current() -> [BlockEntry] {
        let at = now()
        return blocks.withLock { blocks in
            blocks = blocks.filter { $0.value.map { $0 > at } ?? true }
            return blocks.map { target, expiry in
                BlockEntry(target: target, timeLeft: expiry.map { .seconds(Int64($0.timeIntervalSince(at).rounded(.up))) })
            }.sorted { $0.target.description < $1.target.description }
        }
    }
}
