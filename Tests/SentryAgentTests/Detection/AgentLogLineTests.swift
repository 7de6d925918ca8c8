import Foundation
import Shared
import Testing

@testable import SentryAgent

/// The agent's own log lines: what `journalctl -u sentry-agent` shows an operator without the hub.
@Suite("Agent log lines")
struct AgentLogLineTests {
    static func alert(_ kind: AlertKind, _ severity: Severity, _ subject: AlertSubject) -> Alert {
        Alert(
            id: UUID(), agent: "web-1", hostname: "web-1", kind: kind, severity: severity, observedAt: Date(timeIntervalSince1970: 0),
            subject: subject, actions: [])
    }

    @Test("an HTTP 404 burst names the address, the count and the window")
    func http404() {
        let evidence = HTTP404Evidence(ip: "203.0.113.7", count: 25, distinctPaths: 20, samplePaths: ["/.env"], windowSeconds: 60)
        #expect(AlertLogLine.text(Self.alert(.http404Burst, .warning, .http404(evidence))) == "http_404_burst warning 203.0.113.7 25×404/60s")
    }

    @Test("SSH brute force names the address, the attempts and the window")
    func bruteForce() {
        let evidence = SSHBruteForceEvidence(ip: "198.51.100.4", attempts: 6, users: ["root"], windowSeconds: 10)
        #expect(
            AlertLogLine.text(Self.alert(.sshBruteForce, .warning, .sshBruteForce(evidence))) == "ssh_bruteforce warning 198.51.100.4 6 attempts/10s")
    }

    @Test("an SSH session names user@address and the method")
    func session() {
        let evidence = SSHSessionEvidence(user: "alice", ip: "203.0.113.9", port: 50022, method: "publickey", pid: 1234, pidStartTime: 99)
        #expect(AlertLogLine.text(Self.alert(.sshSession, .info, .sshSession(evidence))) == "ssh_session info alice@203.0.113.9 publickey")
    }

    @Test("sustained CPU names the rounded percentage and the window")
    func cpu() {
        let evidence = CPUEvidence(percent: 96.6, windowSeconds: 300, topProcesses: [])
        #expect(AlertLogLine.text(Self.alert(.cpuSustained, .critical, .cpu(evidence))) == "cpu_sustained critical 97%/300s")
    }

    @Test("an agent-health alert carries its detail")
    func agentHealth() {
        let line = AlertLogLine.text(Self.alert(.detectorUnhealthy, .warning, .agent(AgentEvidence(detail: "http404: cannot read /x"))))
        #expect(line == "detector_unhealthy warning http404: cannot read /x")
    }

    @Test("the start line lists each enabled detector with its input")
    func startLine() {
        var detectors = DetectorsConfiguration()
        #expect(
            DetectorInputs.startLine(detectors, sshJournal: true, sshPaths: [])
                == "detectors: ssh (journald), http404 (/var/log/nginx/access.log), cpu, listeners, identity")
        #expect(
            DetectorInputs.startLine(detectors, sshJournal: false, sshPaths: ["/var/log/auth.log"])
                == "detectors: ssh (/var/log/auth.log), http404 (/var/log/nginx/access.log), cpu, listeners, identity")
        detectors.ssh.enabled = false
        detectors.http404.paths = ["/a.log", "/b.log"]
        detectors.cpu.enabled = false
        detectors.listeners.enabled = false
        detectors.identity.enabled = false
        #expect(DetectorInputs.startLine(detectors, sshJournal: true, sshPaths: []) == "detectors: http404 (/a.log, /b.log)")
        detectors.http404.enabled = false
        #expect(DetectorInputs.startLine(detectors, sshJournal: true, sshPaths: []) == "detectors: none")
    }

    @Test("an unreadable input is reported once when it becomes so, and again after it recovered and broke again")
    func unreadableInputs() {
        var denied: Set<String> = ["/var/log/auth.log"]
        var inputs = UnreadableInputs()
        let paths = ["/var/log/auth.log", "/var/log/nginx/access.log"]
        let probe = { (path: String) in denied.contains(path) ? "Permission denied" : nil }
        #expect(inputs.check(paths, probe: probe) == [.unreadable(path: "/var/log/auth.log", reason: "Permission denied")])
        #expect(inputs.check(paths, probe: probe).isEmpty)
        denied = ["/var/log/nginx/access.log"]
        #expect(
            inputs.check(paths, probe: probe) == [
                .readable(path: "/var/log/auth.log"), .unreadable(path: "/var/log/nginx/access.log", reason: "Permission denied"),
            ])
        #expect(inputs.check(paths, probe: probe).isEmpty)
    }

    @Test("the probe: a missing or readable file is no problem")
    func probe() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-probe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(UnreadableInputs.probe(directory + "/missing.log") == nil)
        try "x\n".write(toFile: directory + "/ok.log", atomically: true, encoding: .utf8)
        #expect(UnreadableInputs.probe(directory + "/ok.log") == nil)
        // A path through a regular file fails with ENOTDIR: treated as missing, not as unreadable.
        #expect(UnreadableInputs.probe(directory + "/ok.log/x") == nil)
    }

    @Test("recovery after an outage is one line with the number delivered, said once")
    func outageRecovery() {
        var outage = DeliveryOutage()
        outage.delivered()
        #expect(outage.drained() == nil, "no outage, nothing to say")
        outage.failed()
        outage.failed()
        #expect(outage.drained() == nil, "still failing: nothing got through")
        outage.delivered()
        outage.failed()
        outage.delivered()
        outage.delivered()
        #expect(outage.drained() == "hub reachable again; 3 queued alerts delivered")
        #expect(outage.drained() == nil, "said once")
        outage.delivered()
        #expect(outage.drained() == nil)
        outage.failed()
        outage.delivered()
        #expect(outage.drained() == "hub reachable again; 1 queued alert delivered")
    }
}
