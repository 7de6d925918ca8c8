import Shared

/// Decides which listeners are new: pure, fed a scan and a time, so the rules are tested without sockets.
///
/// A listener counts once it is present in two consecutive polls (a socket that lives for less than a poll is a
/// test, a probe or a restart in progress, not a service). It is new when its identity is not in the baseline: the
/// identities present at the first start (unless `alertExisting`), plus every one already alerted on, so a service
/// alerts once, not at each restart.
struct ListenerDetector {
    struct Configuration: Sendable {
        /// Alert on the listeners present at the very first start instead of taking them as the baseline.
        var alertExisting = false
        var ephemeralPorts: ClosedRange<UInt16> = 32768...60999
        /// The most listeners named in the baseline summary.
        var summaryLimit = 20
    }

    let configuration: Configuration
    /// The accepted identities; nil until the first poll forms it (no baseline file yet).
    private(set) var baseline: Set<ListenerIdentity>?
    private var previous: Set<ListenerIdentity> = []

    init(configuration: Configuration, baseline: Set<ListenerIdentity>?) {
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
        guard var accepted = baseline else {
            baseline = configuration.alertExisting ? [] : present
            if configuration.alertExisting { return ([], true) }
            return ([summary(present, time: time)], true)
        }
        var detections: [Detection] = []
        for identity in present.intersection(previous).subtracting(accepted).sorted(by: { $0.description < $1.description }) {
            guard let found = byIdentity[identity] else { continue }
            accepted.insert(identity)
            detections.append(
                Detection(
                    kind: .newListener, severity: found.severity, subject: .listener(Self.evidence(found.listener, reasons: found.reasons)),
                    observedAt: time, firstSeen: time, lastSeen: time, origin: nil))
        }
        baseline = accepted
        return (detections, !detections.isEmpty)
    }

    /// Accepts an identity without an alert (the operator's Accept, or a test's setup).
    mutating func accept(_ identity: ListenerIdentity) {
        baseline = (baseline ?? []).union([identity])
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

    static func evidence(_ listener: Listener, reasons: [String]) -> ListenerEvidence {
        let socket = listener.socket
        let owner = listener.owner
        return ListenerEvidence(
            transport: socket.transport.rawValue, address: socket.address.description, port: Int(socket.port), scope: socket.scope.rawValue,
            pid: owner?.pid, pidStartTime: owner?.startTime, user: owner?.user, process: owner?.process, exe: owner?.exe,
            commandLine: owner?.commandLine, unit: owner?.unit, container: owner?.container, package: listener.package.name, reasons: reasons)
    }
}
