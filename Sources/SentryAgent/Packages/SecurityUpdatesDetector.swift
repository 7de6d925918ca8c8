import Shared

/// Raises `security_updates` when a scan finds source packages pending that no earlier alert named: one alert per
/// advisory (a source package at a candidate version), not one per scan. What it has alerted is kept across restarts
/// by the caller (`alerted`), and forgotten once the update is no longer pending (installed, or withdrawn).
struct SecurityUpdatesDetector: Sendable {
    /// Source packages listed in one alert; the totals still count them all.
    static let maxSourcesListed = 50

    /// `source candidate` of every pending source package already alerted.
    private(set) var alerted: Set<String>

    init(alerted: Set<String> = []) {
        self.alerted = alerted
    }

    /// The scan's pending binaries grouped by source package: installed binaries upgrade together, so the source is
    /// what an operator decides on. Kernels first (they need a reboot), then by name.
    static func group(_ pending: [PendingUpdate]) -> [PendingSource] {
        var bySource: [String: [PendingUpdate]] = [:]
        for update in pending { bySource[update.source, default: []].append(update) }
        return bySource.map { entry -> PendingSource in
            let (source, updates) = entry
            let candidate = updates.map(\.candidate).max() ?? updates[0].candidate
            let installed = updates.map(\.installed).min() ?? updates[0].installed
            let names = updates.map {
                $0.architecture == "all" || $0.architecture == nativeArchitecture ? $0.package : "\($0.package):\($0.architecture)"
            }
            return PendingSource(
                source: source, installed: installed.description, candidate: candidate.description, packages: names,
                held: updates.contains(where: \.held), needsReboot: isKernel(source: source, packages: updates.map(\.package)),
                pins: zip(names, updates).map { "\($0)=\($1.candidate)" })
        }.sorted { ($0.needsReboot ? 0 : 1, $0.source) < ($1.needsReboot ? 0 : 1, $1.source) }
    }

    /// The kernel's source packages (`linux`, `linux-signed-amd64`) or a kernel image: running code changes only on reboot.
    static func isKernel(source: String, packages: [String]) -> Bool {
        source == "linux" || source.hasPrefix("linux-signed") || packages.contains { $0.hasPrefix("linux-image-") }
    }

    /// The architecture dpkg builds for here, named as dpkg names it.
    static var nativeArchitecture: String {
        #if arch(x86_64)
            return "amd64"
        #elseif arch(arm64)
            return "arm64"
        #else
            return ""
        #endif
    }

    /// A detection for the newly pending source packages of `scan`, or nil when every pending one was alerted before.
    mutating func process(_ scan: SecurityScan, now: Int64) -> Detection? {
        process(sources: Self.group(scan.pending), pendingPackages: scan.pending.count, indexAge: scan.indexAge(now: now), now: now)
    }

    /// The same for source packages grouped by the caller (an RPM scan groups by source RPM).
    mutating func process(sources: [PendingSource], pendingPackages: Int, indexAge: Int64?, now: Int64) -> Detection? {
        let pendingKeys = Set(sources.map(Self.key))
        let fresh = sources.filter { !alerted.contains(Self.key($0)) }
        // Forget what is no longer pending, so a later update of the same source alerts again.
        alerted = alerted.intersection(pendingKeys).union(fresh.map(Self.key))
        guard !fresh.isEmpty else { return nil }
        let evidence = SecurityUpdatesEvidence(
            sources: Array(fresh.prefix(Self.maxSourcesListed)), pendingSources: sources.count, pendingPackages: pendingPackages,
            indexAgeSeconds: indexAge.map { Int($0) })
        return Detection(
            kind: .securityUpdates, severity: .warning, subject: .securityUpdates(evidence),
            observedAt: now, firstSeen: now, lastSeen: now, origin: nil)
    }

    private static func key(_ source: PendingSource) -> String { "\(source.source) \(source.candidate)" }
}
