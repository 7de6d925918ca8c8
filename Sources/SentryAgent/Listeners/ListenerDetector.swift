import Shared

/// Decides which listeners are new: pure, fed a scan and a time, so the rules are tested without sockets.
///
/// A listener counts once it is present in two consecutive polls (a socket that lives for less than a poll is a
/// test, a probe or a restart in progress, not a service). It is new when its identity is not in the baseline: the
/// identities present at the first start (unless `alertExisting`) or accepted by an operator, plus every one already
/// reported, so a service alerts once, not at each restart (unless a response forgot it: see `ListenerBaseline`).
struct ListenerDetector {
    struct Configuration: Sendable {
        /// Alert on the listeners present at the very first start instead of taking them as the baseline.
        var alertExisting = false
        var ephemeralPorts: ClosedRange<UInt16> = 32768...60999
        /// The most listeners named in the baseline summary.
        var summaryLimit = 20
    }

    let configuration: Configuration
    /// The accepted and reported identities; nil until the first poll forms it (no baseline file yet).
    private(set) var baseline: ListenerBaseline?
    private var previous: Set<ListenerIdentity> = []

    init(configuration: Configuration, baseline: ListenerBaseline?) {
        self.configuration = configuration
        self.baseline = baseline
    }

    /// One poll: the detections it raises, and whether the baseline changed (so the caller persists it).
    mutating func poll(_ listeners: [Listener], time: Int64) -> (detections: [Detection], baselineChanged: Bool) {
        var byIdentity: [ListenerIdentity: (listener: Listener, severity: Severity, reasons: [String])] = [:]
        for listener in listeners {
            let identity = ListenerIdentity(listener, ephemeralPorts: configuration.ephemeralPorts)
            let (severity, reasons) = ListenerSeverity.assess(listener)
            // One identity may cover several sockets (IPv4 and IPv6, a worker pool): the most severe speaks for it.
            if let known = byIdentity[identity], known.severity >= severity { continue }
            byIdentity[identity] = (listener, severity, reasons)
        }
        let present = Set(byIdentity.keys)
        defer { previous = present }
        guard var known = baseline else {
            baseline = ListenerBaseline(accepted: configuration.alertExisting ? [] : present)
            if configuration.alertExisting { return ([], true) }
            return ([summary(present, time: time)], true)
        }
        var detections: [Detection] = []
        let new = present.intersection(previous).filter { !known.contains($0) }
        for identity in new.sorted(by: { $0.description < $1.description }) {
            guard let found = byIdentity[identity] else { continue }
            known.reported.insert(identity)
            detections.append(
                Detection(
                    kind: .newListener, severity: found.severity,
                    subject: .listener(Self.evidence(found.listener, reasons: found.reasons, identity: identity)),
                    observedAt: time, firstSeen: time, lastSeen: time, origin: nil))
        }
        baseline = known
        return (detections, !detections.isEmpty)
    }

    /// Applies an operator's decision (Accept, or forgetting a listener that was killed), or a test's setup.
    mutating func apply(_ decision: ListenerDecision) {
        var known = baseline ?? ListenerBaseline()
        known.apply(decision)
        baseline = known
    }

    /// The one info alert of a first start: how many listeners form the baseline, and the first of them.
    private func summary(_ present: Set<ListenerIdentity>, time: Int64) -> Detection {
        let names = present.map(\.description).sorted()
        var detail = "baseline formed: \(names.count) listening service\(names.count == 1 ? "" : "s")"
        if !names.isEmpty { detail += ": " + names.prefix(configuration.summaryLimit).joined(separator: ", ") }
        if names.count > configuration.summaryLimit { detail += ", …" }
        return Detection(
            kind: .newListener, severity: .info, subject: .agent(AgentEvidence(detail: detail)), observedAt: time, firstSeen: time, lastSeen: time,
            origin: nil)
    }

    static func evidence(_ listener: Listener, reasons: [String], identity: ListenerIdentity? = nil) -> ListenerEvidence {
        let socket = listener.socket
        let owner = listener.owner
        return ListenerEvidence(
            transport: socket.transport.rawValue, address: socket.address.description, port: Int(socket.port), scope: socket.scope.rawValue,
            pid: owner?.pid, pidStartTime: owner?.startTime, user: owner?.user, process: owner?.process, exe: owner?.exe,
            commandLine: owner?.commandLine, unit: owner?.unit, container: owner?.container, package: listener.package.name, reasons: reasons,
            identity: identity?.key, namespace: socket.namespace?.name,
            exposedPorts: listener.published.isEmpty ? nil : listener.published.map { Int($0.externalPort) })
    }
}
