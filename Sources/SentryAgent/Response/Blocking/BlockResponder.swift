import FoundationEssentials
import Shared
import Synchronization

/// Runs `block_ip` and `unblock_ip` on a firewall with the same policy whatever the backend: strict parsing (one
/// address, or an IPv6 prefix no wider than `responses.min_ipv6_prefix`), the safety rails applied to the whole
/// prefix, durations within bounds, a block that only ever extends (never shortens) an existing one, a prefix never
/// overlapping another blocked prefix, and a detail line that says what changed.
///
/// Firewall operations run one at a time (`SerialGate`): a block reads the current entry, then changes it, and
/// nothing may slip in between.
actor BlockResponder {
    nonisolated let firewall: any Firewall
    let blockGuard: BlockGuard
    let maxDuration: Duration
    /// `responses.min_ipv6_prefix`: the widest IPv6 prefix a block may name.
    let minIPv6Prefix: Int
    /// In a dry run, the runner that recorded what would have run; its record becomes the result's detail.
    let dryRunRecord: RecordingCommandRunner?
    private let now: @Sendable () -> Date
    private let gate = SerialGate()
    private var prepared = false

    init(
        firewall: any Firewall,
        blockGuard: BlockGuard,
        maxDuration: Duration = ResponsesConfiguration().maxBlockDuration,
        minIPv6Prefix: Int = ResponsesConfiguration().minIPv6Prefix,
        dryRunRecord: RecordingCommandRunner? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.firewall = firewall
        self.blockGuard = blockGuard
        self.maxDuration = maxDuration
        self.minIPv6Prefix = minIPv6Prefix
        self.dryRunRecord = dryRunRecord
        self.now = now
    }

    /// Creates the firewall objects; the agent calls it at start-up, and a block retries it if that failed.
    func prepare() async throws(FirewallError) {
        await gate.enter()
        defer { gate.leave() }
        try await prepareLocked()
    }

    /// Blocks `ip` (an address or an IPv6 prefix) for `durationSeconds` (nil: permanent).
    func block(ip: String, durationSeconds: Int?) async -> ActionReport {
        let target: IPNetwork
        switch BlockTarget.parse(ip, minIPv6Prefix: minIPv6Prefix) {
        case .success(let parsed): target = parsed
        case .failure(let refusal): return .refused(refusal.description)
        }
        if let refusal = blockGuard.refusal(for: target) { return .refused(refusal.description) }
        var duration: Duration?
        if let seconds = durationSeconds {
            guard seconds >= 1, Int64(seconds) <= maxDuration.components.seconds else {
                return .refused("a timed block lasts 1s to \(DurationText.describe(maxDuration)); omit the duration for a permanent block")
            }
            duration = .seconds(seconds)
        }
        return await serialized { () async throws(FirewallError) -> ActionReport in try await self.applyBlock(target, duration: duration) }
    }

    /// Lifts the block on `ip` (an address or an IPv6 prefix, exactly as blocked).
    func unblock(ip: String) async -> ActionReport {
        let target: IPNetwork
        switch BlockTarget.parse(ip, minIPv6Prefix: minIPv6Prefix) {
        case .success(let parsed): target = parsed
        case .failure(let refusal): return .refused(refusal.description)
        }
        return await serialized { () async throws(FirewallError) -> ActionReport in try await self.applyUnblock(target) }
    }

    /// Every block with its time left.
    func list() async throws(FirewallError) -> [BlockEntry] {
        await gate.enter()
        defer { gate.leave() }
        try await prepareLocked()
        do {
            return try await firewall.list()
        } catch let error where error.description.contains("No such file or directory") {
            // Someone flushed the ruleset under us; the next block prepares the table again.
            prepared = false
            throw FirewallError("firewall table not found (was the ruleset flushed?); the next block re-creates it")
        }
    }

    /// Blocks many addresses in one transaction (bulk imports and benchmarks); no per-address report.
    func blockMany(_ addresses: [IPAddress], for duration: Duration?) async throws(FirewallError) {
        await gate.enter()
        defer { gate.leave() }
        try await prepareLocked()
        try await firewall.add(addresses.map(IPNetwork.init(host:)), for: duration)
    }

    private func applyBlock(_ target: IPNetwork, duration: Duration?) async throws(FirewallError) -> ActionReport {
        try await prepareLocked()
        let address = target.blockText
        if !target.isHost,
            let other = try await firewall.list().first(where: { !$0.target.isHost && $0.target != target && $0.target.overlaps(target) })
        {
            // An interval set cannot hold overlapping prefixes, and silently widening or narrowing a block is not ours to decide.
            return .refused("\(address) overlaps the blocked prefix \(other.target.blockText); unblock that first")
        }
        let current = try await firewall.entry(for: target)
        let backend = firewall.name
        if let current {
            guard let left = current.timeLeft else { return .alreadyDone("\(address) is already blocked permanently (\(backend))") }
            if let duration, left >= duration {
                return .alreadyDone("\(address) is already blocked for \(DurationText.describe(left)) more; kept (\(backend))")
            }
        }
        try await firewall.add([target], for: duration)
        let what: String
        if let duration {
            let expiry = now().addingTimeInterval(TimeInterval(duration.components.seconds))
            what = "for \(DurationText.describe(duration)) (\(backend), expires \(Self.timestamp(expiry)))"
        } else {
            what = "permanently (\(backend))"
        }
        guard let left = current?.timeLeft else { return .done("blocked \(address) \(what)") }
        return .done("extended the block on \(address), which had \(DurationText.describe(left)) left, \(what)")
    }

    private func applyUnblock(_ target: IPNetwork) async throws(FirewallError) -> ActionReport {
        try await prepareLocked()
        let address = target.blockText
        guard try await firewall.entry(for: target) != nil else { return .alreadyDone("\(address) was not blocked") }
        try await firewall.remove(target)
        return .done("unblocked \(address) (\(firewall.name))")
    }

    private func prepareLocked() async throws(FirewallError) {
        guard !prepared else { return }
        try await firewall.prepare()
        prepared = true
    }

    /// Runs `body` alone on the firewall; a firewall failure becomes `failed` with the program's stderr. In a dry run
    /// the detail lists what would have run.
    private func serialized(_ body: () async throws(FirewallError) -> ActionReport) async -> ActionReport {
        await gate.enter()
        defer { gate.leave() }
        _ = dryRunRecord?.drain()
        var report: ActionReport
        do {
            report = try await body()
        } catch {
            report = .failed(error.description)
        }
        if let dryRunRecord {
            let wouldRun = dryRunRecord.drain().filter { $0.isChange }.map(\.dryRunText)
            report.detail = "dry run: " + (report.detail ?? "") + (wouldRun.isEmpty ? "" : "; would run: " + wouldRun.joined(separator: "; "))
        }
        return report
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

extension ProgramInvocation {
    /// True unless this is a read-only query (nft get/list, iptables -S/-L/-C, ipset save), which a dry-run detail omits.
    fileprivate var isChange: Bool {
        let readOnly: Set<String> = ["get", "list", "-S", "-L", "-C", "save"]
        return !arguments.contains(where: readOnly.contains)
    }

    /// The command line with its standard input, for dry-run details.
    fileprivate var dryRunText: String {
        guard !standardInput.isEmpty else { return description }
        let script = String(decoding: standardInput, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: "; ")
        return "\(description) <<< \(script)"
    }
}
