import Foundation
import Shared

@testable import SentryAgent

extension ResponseCommand {
    /// A command as the hub would send it, valid for five minutes unless told otherwise.
    static func make(
        _ action: ResponseAction,
        id: UUID = UUID(),
        issuedAt: Date = Date(),
        validFor: TimeInterval = 300
    ) -> ResponseCommand {
        ResponseCommand(
            id: id,
            alertId: UUID(),
            action: action,
            requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"),
            issuedAt: issuedAt,
            expiresAt: issuedAt.addingTimeInterval(validFor)
        )
    }
}

/// A firewall that keeps blocks in memory and records each call: the unit tests' stand-in for the kernel.
actor FakeFirewall: Firewall {
    nonisolated var name: String { "fake" }
    private(set) var blocks: [IPNetwork: Duration?] = [:]
    private(set) var calls: [String] = []
    /// When set, every call fails with it (as a firewall program exiting non-zero would).
    var failure: FirewallError?

    func fail(with error: FirewallError?) { failure = error }

    func prepare() async throws(FirewallError) {
        calls.append("prepare")
        if let failure { throw failure }
    }

    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry? {
        calls.append("entry \(target.blockText)")
        if let failure { throw failure }
        guard let timeLeft = blocks[target] else { return nil }
        return BlockEntry(target: target, timeLeft: timeLeft)
    }

    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError) {
        calls.append("add \(targets.map(\.blockText).joined(separator: ",")) \(duration.map { "\($0.components.seconds)s" } ?? "permanent")")
        if let failure { throw failure }
        for target in targets { blocks[target] = .some(duration) }
    }

    func remove(_ target: IPNetwork) async throws(FirewallError) {
        calls.append("remove \(target.blockText)")
        if let failure { throw failure }
        blocks[target] = nil
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        calls.append("list")
        if let failure { throw failure }
        return blocks.map { BlockEntry(target: $0.key, timeLeft: $0.value) }
    }

    /// Calls that change something (not prepare, entry or list): what "nothing ran" is checked against.
    var changes: [String] { calls.filter { $0.hasPrefix("add") || $0.hasPrefix("remove") } }
}

/// A signaller that records and sends nothing.
final class RecordingSignaller: ProcessSignaller, @unchecked Sendable {
    // Only touched under `lock`.
    private let lock = NSLock()
    private var sent: [(Int32, Int32)] = []

    func open(_ pid: Int32) -> Result<any SignalHandle, SignalFailure> {
        .success(Handle(pid: pid, signaller: self))
    }

    private func record(_ signal: Int32, to pid: Int32) {
        lock.withLock { sent.append((signal, pid)) }
    }

    private struct Handle: SignalHandle {
        let pid: Int32
        let signaller: RecordingSignaller

        func send(_ signal: Int32) -> Int32 {
            signaller.record(signal, to: pid)
            return 0
        }
    }

    var signals: [Int32] { lock.withLock { sent.map(\.0) } }
}
