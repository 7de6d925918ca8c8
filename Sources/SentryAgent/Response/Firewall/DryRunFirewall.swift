import Foundation
import Shared
import Synchronization

/// The firewall of `sentry-agent run --dry-run`: the real backend's commands are recorded, never run (its runner
/// is a `RecordingCommandRunner`), and the blocks it would hold are remembered here with their expiry, so `/blocks`,
/// a second block (extend, or "already blocked") and Unblock behave as they would for real.
final class DryRunFirewall: Firewall {
    private let inner: any Firewall
    private let now: @Sendable () -> Date
    /// Simulated blocks: address → expiry (nil: permanent).
    private let blocks = Mutex<[IPAddress: Date?]>([:])

    init(recording inner: any Firewall, now: @escaping @Sendable () -> Date = Date.init) {
        self.inner = inner
        self.now = now
    }

    var name: String { "\(inner.name), dry run" }

    func prepare() async throws(FirewallError) {
        try await inner.prepare()
    }

    func entry(for address: IPAddress) async throws(FirewallError) -> BlockEntry? {
        current().first { $0.address == address }
    }

    func add(_ addresses: [IPAddress], for duration: Duration?) async throws(FirewallError) {
        try await inner.add(addresses, for: duration)
        let expiry = duration.map { now().addingTimeInterval(TimeInterval($0.components.seconds)) }
        blocks.withLock { blocks in
            for address in addresses { blocks[address] = .some(expiry) }
        }
    }

    func remove(_ address: IPAddress) async throws(FirewallError) {
        try await inner.remove(address)
        _ = blocks.withLock { $0.removeValue(forKey: address) }
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        current()
    }

    /// The simulated blocks still in force, as the kernel would list them (expired ones are dropped, as it would).
    private func current() -> [BlockEntry] {
        let at = now()
        return blocks.withLock { blocks in
            blocks = blocks.filter { $0.value.map { $0 > at } ?? true }
            return blocks.map { address, expiry in
                BlockEntry(address: address, timeLeft: expiry.map { .seconds(Int64($0.timeIntervalSince(at).rounded(.up))) })
            }.sorted { $0.address.description < $1.address.description }
        }
    }
}
