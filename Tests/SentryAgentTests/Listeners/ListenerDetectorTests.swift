import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The `listeners` detector's decisions, poll by poll, without sockets.
@Suite("listeners detector")
struct ListenerDetectorTests {
    static let sshd = Listener.make(port: 22, pid: 1, exe: "/usr/sbin/sshd", process: "sshd", package: .owned("openssh-server"), unit: "ssh.service")

    @Test("the first start forms the baseline: one info summary naming what listens, no alert per port")
    func firstStartFormsBaseline() throws {
        var detector = ListenerDetector(configuration: .init(), baseline: nil)
        let (detections, changed) = detector.poll([Self.sshd, .make()], time: 100)
        #expect(changed)
        #expect(detections.count == 1)
        let summary = try #require(detections.first)
        #expect(summary.kind == .newListener && summary.severity == .info)
        guard case .agent(let evidence) = summary.subject else { throw TestFailure("not a summary: \(summary.subject)") }
        #expect(evidence.detail.hasPrefix("baseline formed: 2 listening services: "), "\(evidence.detail)")
        #expect(detector.poll([Self.sshd, .make()], time: 101).detections.isEmpty)
        #expect(detector.poll([Self.sshd, .make()], time: 102).detections.isEmpty)
    }

    @Test("a new listener alerts once it is present in two consecutive polls, and only once")
    func twoPollDebounce() throws {
        var detector = ListenerDetector(configuration: .init(), baseline: ListenerBaseline())
        let socat = Listener.make(port: 4444, pid: 7, exe: "/tmp/socat", process: "socat", package: .unowned, unit: nil)
        #expect(detector.poll([socat], time: 1).detections.isEmpty)
        #expect(detector.poll([], time: 2).detections.isEmpty, "a socket gone by the second poll is not a service")
        #expect(detector.poll([socat], time: 3).detections.isEmpty)
        let (detections, changed) = detector.poll([socat], time: 4)
        #expect(changed)
        let alert = try #require(detections.first)
        #expect(detections.count == 1 && alert.severity == .critical)
        guard case .listener(let evidence) = alert.subject else { throw TestFailure("not a listener: \(alert.subject)") }
        #expect(evidence.port == 4444 && evidence.pid == 7 && evidence.pidStartTime == 4242 && evidence.exe == "/tmp/socat")
        #expect(evidence.reasons.contains("runs from /tmp"))
        #expect(detector.poll([socat], time: 5).detections.isEmpty)
    }

    @Test("a program binding 127.0.0.1:0 twenty times, once per poll, raises one info alert")
    func ephemeralRebindsAlertOnce() {
        var detector = ListenerDetector(configuration: .init(), baseline: ListenerBaseline())
        var alerts: [Detection] = []
        for round in 0..<20 {
            let port = UInt16(40000 + round * 7)
            alerts +=
                detector.poll(
                    [.make(address: "127.0.0.1", port: port, pid: Int32(500 + round), exe: "/usr/bin/node", process: "node")], time: Int64(round)
                ).detections
        }
        #expect(alerts.count == 1)
        #expect(alerts.first?.severity == .info)
    }

    @Test("a service restarted with a new pid is still known; the same program on a new port is new")
    func restartsAreKnown() {
        var detector = ListenerDetector(configuration: .init(), baseline: nil)
        _ = detector.poll([Self.sshd], time: 1)
        var restarted = Self.sshd
        restarted.owner?.pid = 9999
        #expect(detector.poll([restarted], time: 2).detections.isEmpty)
        #expect(detector.poll([restarted], time: 3).detections.isEmpty)
        let moved = Listener.make(
            port: 2222, pid: 9999, exe: "/usr/sbin/sshd", process: "sshd", package: .owned("openssh-server"), unit: "ssh.service")
        _ = detector.poll([moved], time: 4)
        #expect(detector.poll([moved], time: 5).detections.map(\.severity) == [.warning])
    }

    @Test("alert_existing: the first start alerts on each listener present, without a summary")
    func alertExisting() {
        var detector = ListenerDetector(configuration: .init(alertExisting: true), baseline: nil)
        #expect(detector.poll([Self.sshd], time: 1).detections.isEmpty)
        #expect(detector.poll([Self.sshd], time: 2).detections.map(\.kind) == [.newListener])
    }

    @Test("the baseline survives a restart through its file; a missing file is no baseline, a damaged one an error")
    func baselineStore() throws {
        let directory = try TemporaryDirectory("vigil-listener-baseline")
        let store = ListenerBaselineStore(stateDirectory: directory.path)
        #expect(try store.load() == nil)
        let identity = ListenerIdentity(Self.sshd, ephemeralPorts: 32768...60999)
        let baseline = ListenerBaseline(accepted: [identity], reported: [ListenerIdentity(.make(port: 8080), ephemeralPorts: 32768...60999)])
        try store.save(baseline)
        #expect(try store.load() == baseline)
        // A file written before Accept existed: a bare list, read as accepted.
        try String(decoding: try JSONEncoder().encode([identity]), as: UTF8.self).write(toFile: store.path, atomically: true, encoding: .utf8)
        #expect(try store.load() == ListenerBaseline(accepted: [identity]))
        try "not json".write(toFile: store.path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try store.load() }
    }

    @Test("a killed listener is forgotten and alerts again when it comes back; an accepted one never does")
    func forgetAndAccept() throws {
        var detector = ListenerDetector(configuration: .init(), baseline: ListenerBaseline())
        let shell = Listener.make(port: 4444, pid: 7, exe: "/tmp/socat", process: "socat", package: .unowned, unit: nil)
        let web = Listener.make(port: 8080, pid: 8, exe: "/usr/bin/python3", process: "python3", package: .owned("python3"), unit: nil)
        _ = detector.poll([shell, web], time: 1)
        let first = detector.poll([shell, web], time: 2).detections
        #expect(first.count == 2)
        let identities = first.compactMap { detection -> ListenerKey? in
            guard case .listener(let evidence) = detection.subject else { return nil }
            return evidence.identity
        }
        #expect(identities.count == 2, "each alert carries the identity Accept sends back")
        let shellID = ListenerIdentity(shell, ephemeralPorts: 32768...60999)
        let webID = ListenerIdentity(web, ephemeralPorts: 32768...60999)
        #expect(Set(identities.compactMap(ListenerIdentity.init)) == [shellID, webID])
        detector.apply(.forget(shellID))
        detector.apply(.accept(webID))
        detector.apply(.forget(webID))
        _ = detector.poll([], time: 3)
        _ = detector.poll([shell, web], time: 4)
        let again = detector.poll([shell, web], time: 5).detections
        #expect(again.count == 1, "only the forgotten listener alerts again: \(again)")
        guard case .listener(let evidence) = again.first?.subject else { throw TestFailure("no listener alert") }
        #expect(evidence.port == 4444)
    }

    @Test("Accept is durable at once and reaches a running detector; a detector's save never writes a pending decision away")
    func decisionsShareTheFile() throws {
        let directory = try TemporaryDirectory("vigil-listener-decisions")
        let decisions = ListenerDecisions(store: ListenerBaselineStore(stateDirectory: directory.path))
        let web = ListenerIdentity(.make(port: 8080), ephemeralPorts: 32768...60999)
        #expect(try decisions.record(.accept(web)) == false, "no baseline formed yet: nothing written")
        #expect(try decisions.store.load() == nil)
        try decisions.store.save(ListenerBaseline(reported: [web]))
        #expect(try decisions.record(.accept(web)))
        #expect(try decisions.store.load() == ListenerBaseline(accepted: [web]))
        // The detector saves a state from before the decision: the decision survives in the file.
        try decisions.save(ListenerBaseline(reported: [web]))
        #expect(try decisions.store.load() == ListenerBaseline(accepted: [web]))
        #expect(decisions.drain() == [.accept(web)])
        #expect(decisions.drain().isEmpty)
    }

    @Test("an identity travels as a ListenerKey and back; keys no agent makes are refused")
    func keysRoundTrip() {
        let identity = ListenerIdentity(Self.sshd, ephemeralPorts: 32768...60999)
        #expect(ListenerIdentity(identity.key) == identity)
        #expect(ListenerIdentity(ListenerKey(transport: "sctp", scope: "any", port: 1, executable: nil, placement: nil)) == nil)
        #expect(ListenerIdentity(ListenerKey(transport: "tcp", scope: "everywhere", port: 1, executable: nil, placement: nil)) == nil)
        #expect(ListenerIdentity(ListenerKey(transport: "tcp", scope: "any", port: 70000, executable: nil, placement: nil)) == nil)
        #expect(ListenerIdentity(ListenerKey(transport: "tcp", scope: "any", port: 0, executable: nil, placement: nil)) == nil)
    }
}
