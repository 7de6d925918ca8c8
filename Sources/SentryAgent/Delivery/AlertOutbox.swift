import FoundationEssentials
import Logging
import Shared

/// The agent's on-disk queue of alerts not yet acknowledged by the hub.
///
/// `submit` appends the alert to `outbox.log` and fsyncs before returning, so an alert a detector raised survives a
/// crash, a reboot or a hub outage. Acknowledged ids are appended to `outbox.acked`; both files are compacted once
/// most of the log is acknowledged. The queue is bounded (alerts and bytes): past the bound the oldest *info*
/// alert is dropped first, then the oldest warning, and a critical only once no info or warning is left, so a flood
/// of warnings can never push out a critical. Every drop is logged and counted per severity for the heartbeat.
actor AlertOutbox: AlertSink {
    struct Limits: Sendable {
        var maxAlerts = 100_000
        var maxBytes = 64 * 1024 * 1024
    }

    /// What loading the files found, for the log and the heartbeat.
    struct LoadReport: Sendable, Equatable {
        var recovered = 0
        var damagedRegions = 0
        var damagedBytes = 0
    }

    private struct Entry {
        let alert: Alert
        let size: Int
    }

    private let directory: String
    private let limits: Limits
    private let logger: Logger
    private var log: AppendOnlyFile
    private var acked: AppendOnlyFile
    private var queue: [Entry] = []
    private var head = 0
    private var queued: Set<UUID> = []
    private var lanes = SeverityLanes()
    private var queuedBytes = 0
    private var ackedSinceCompaction = 0
    private let arrivals = WakeSignal()

    /// Alerts dropped because the queue was full, since this agent started, per severity.
    private(set) var droppedBySeverity = DroppedAlerts()
    /// Alerts dropped because the queue was full, since this agent started.
    var dropped: Int { droppedBySeverity.total }
    nonisolated let loadReport: LoadReport

    init(directory: String, limits: Limits = Limits(), logger: Logger) throws {
        self.directory = directory
        self.limits = limits
        self.logger = logger
        try PrivateFile.makeDirectory(directory)
        let logPath = "\(directory)/outbox.log"
        let ackPath = "\(directory)/outbox.acked"
        let (entries, report) = Self.read(logPath: logPath, ackPath: ackPath)
        queue = entries
        queued = Set(entries.map(\.alert.id))
        queuedBytes = entries.reduce(0) { $0 + $1.size }
        for entry in entries { lanes.append(entry.alert) }
        loadReport = report
        if report.damagedRegions > 0 || report.damagedBytes > 0 {
            logger.error(
                "outbox files were damaged; every readable alert was kept",
                metadata: [
                    "recovered": "\(report.recovered)", "damaged_regions": "\(report.damagedRegions)", "damaged_bytes": "\(report.damagedBytes)",
                ]
            )
            // Rewrite clean files now, so the damage is not scanned (or reported) again.
            try AppendOnlyFile.replace(logPath, with: queue.flatMap { OutboxRecord.frame((try? WireCoding.encode($0.alert)) ?? []) })
            try AppendOnlyFile.replace(ackPath, with: [])
        }
        log = try AppendOnlyFile(path: logPath)
        acked = try AppendOnlyFile(path: ackPath)
    }

    /// The unacknowledged alerts in the files, oldest first, and the damage met on the way. Reads only.
    private static func read(logPath: String, ackPath: String) -> (entries: [Entry], report: LoadReport) {
        let scan = OutboxRecord.scan(AppendOnlyFile.readAll(logPath))
        let ackScan = OutboxRecord.scan(AppendOnlyFile.readAll(ackPath))
        let acknowledged = Set(ackScan.payloads.compactMap { UUID(uuidString: String(decoding: $0, as: UTF8.self)) })
        var report = LoadReport(damagedRegions: scan.damagedRegions + ackScan.damagedRegions, damagedBytes: scan.damagedBytes + ackScan.damagedBytes)
        var entries: [Entry] = []
        var seen: Set<UUID> = []
        for payload in scan.payloads {
            guard let alert = try? WireCoding.decode(Alert.self, from: payload) else {
                report.damagedRegions += 1
                continue
            }
            guard !acknowledged.contains(alert.id), seen.insert(alert.id).inserted else { continue }
            entries.append(Entry(alert: alert, size: payload.count))
        }
        report.recovered = entries.count
        return (entries, report)
    }

    /// The alerts a stopped or running agent's outbox in `directory` holds for the hub, read without opening it for
    /// writing (`sentry-agent status` must not disturb a running agent).
    static func pendingAlerts(directory: String) -> (alerts: [Alert], report: LoadReport) {
        let (entries, report) = read(logPath: "\(directory)/outbox.log", ackPath: "\(directory)/outbox.acked")
        return (entries.map(\.alert), report)
    }

    /// Alerts waiting for the hub.
    var depth: Int { queued.count }

    /// Durably queues `alert`; returns once it is on disk. A write failure is logged loudly and the alert is kept in
    /// memory, so it is still delivered unless the agent also dies.
    func submit(_ alert: Alert) async {
        guard !queued.contains(alert.id) else { return }
        let payload = (try? WireCoding.encode(alert)) ?? []
        do {
            try log.append(OutboxRecord.frame(payload))
        } catch {
            logger.critical("cannot persist alert in the outbox", metadata: ["error": "\(error)", "alert": "\(alert.id)"])
        }
        queue.append(Entry(alert: alert, size: payload.count))
        queued.insert(alert.id)
        lanes.append(alert)
        queuedBytes += payload.count
        enforceBound()
        await arrivals.signal()
    }

    /// The oldest unacknowledged alert, if any.
    func oldest() -> Alert? {
        while head < queue.count, !queued.contains(queue[head].alert.id) { head += 1 }
        return head < queue.count ? queue[head].alert : nil
    }

    /// Waits until an alert may be available (or `delay` passes).
    func waitForArrival(upTo delay: Duration) async {
        await arrivals.wait(upTo: delay)
    }

    /// Removes an alert the hub acknowledged (or rejected for good).
    func acknowledge(_ id: UUID) {
        guard queued.remove(id) != nil else { return }
        if let entry = queue[head...].first(where: { $0.alert.id == id }) { queuedBytes -= entry.size }
        do {
            try acked.append(OutboxRecord.frame(Array(id.uuidString.utf8)))
        } catch {
            logger.error(
                "cannot record an acknowledgement; the alert may be sent again after a restart (the hub deduplicates)",
                metadata: ["error": "\(error)"])
        }
        ackedSinceCompaction += 1
        compactIfWorthwhile()
    }

    private func enforceBound() {
        while queued.count > limits.maxAlerts || queuedBytes > limits.maxBytes {
            guard let (victim, severity) = lanes.nextToDrop(isQueued: { queued.contains($0) }) else { return }
            acknowledge(victim)
            droppedBySeverity[severity] += 1
            logger.warning(
                "outbox full: dropped the oldest \(severity.rawValue) alert",
                metadata: [
                    "alert": "\(victim)", "severity": "\(severity.rawValue)", "dropped_info": "\(droppedBySeverity.info)",
                    "dropped_warning": "\(droppedBySeverity.warning)", "dropped_critical": "\(droppedBySeverity.critical)",
                ])
        }
    }

    /// Rewrites both files with only the live alerts once the acknowledged ones dominate.
    private func compactIfWorthwhile() {
        guard ackedSinceCompaction >= 1000, ackedSinceCompaction > queued.count else { return }
        let live = queue[head...].filter { queued.contains($0.alert.id) }
        do {
            try AppendOnlyFile.replace(log.path, with: live.flatMap { OutboxRecord.frame((try? WireCoding.encode($0.alert)) ?? []) })
            log = try AppendOnlyFile(path: log.path)
            try AppendOnlyFile.replace(acked.path, with: [])
            acked = try AppendOnlyFile(path: acked.path)
            queue = Array(live)
            lanes = SeverityLanes()
            for entry in queue { lanes.append(entry.alert) }
            head = 0
            ackedSinceCompaction = 0
        } catch {
            logger.error("outbox compaction failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}

/// The queued alerts of each severity in arrival order, so the alert a full outbox drops is found without scanning the
/// whole queue. Acknowledged ids are skipped lazily (the caller says which are still queued) and vanish at compaction.
private struct SeverityLanes {
    private var lanes: [Severity: [UUID]] = [:]
    private var heads: [Severity: Int] = [:]

    mutating func append(_ alert: Alert) {
        lanes[alert.severity, default: []].append(alert.id)
    }

    /// The oldest queued alert of the lowest severity that has one: info, then warning, then critical.
    mutating func nextToDrop(isQueued: (UUID) -> Bool) -> (UUID, Severity)? {
        for severity in Severity.allCases.sorted() {
            let lane = lanes[severity] ?? []
            var head = heads[severity] ?? 0
            while head < lane.count, !isQueued(lane[head]) { head += 1 }
            heads[severity] = head
            if head < lane.count { return (lane[head], severity) }
        }
        return nil
    }
}
