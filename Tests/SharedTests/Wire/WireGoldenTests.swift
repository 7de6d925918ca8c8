import Foundation
import Testing

@testable import Shared

/// The JSON on the wire is pinned by files in `Golden/`: a change to the format fails here before it reaches a peer.
@Suite("Wire format")
struct WireGoldenTests {
    static let alertID = UUID(uuidString: "6F1C2A3B-4D5E-4F60-8172-93A4B5C6D7E8")!
    static let commandID = UUID(uuidString: "0A1B2C3D-4E5F-4061-8273-849506172839")!
    static let instant = Date(timeIntervalSince1970: 1_800_000_000)

    static let sshAlert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1.example.com",
        kind: .sshSession,
        severity: .warning,
        observedAt: instant,
        subject: .sshSession(
            SSHSessionEvidence(user: "root", ip: "203.0.113.9", port: 52_113, method: "publickey", pid: 4242, pidStartTime: 123_456)),
        actions: [.acknowledge, .killSession, .blockIP1h]
    )

    static let cpuAlert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1",
        kind: .cpuSustained,
        severity: .critical,
        observedAt: instant,
        subject: .cpu(
            CPUEvidence(percent: 97.5, windowSeconds: 60, topProcesses: [ProcessShare(name: "xmrig", pid: 777, user: "www-data", percent: 190.0)])),
        actions: [.acknowledge, .reboot]
    )

    static let http404Alert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1",
        kind: .http404Burst,
        severity: .warning,
        observedAt: instant,
        subject: .http404(
            HTTP404Evidence(ip: "2001:db8::7", count: 23, distinctPaths: 21, samplePaths: ["/wp-login.php", "/.env"], windowSeconds: 60)),
        actions: [.ignore, .blockIP1h, .blockIP24h, .blockIPPermanent]
    )

    /// An IPv6 scanner counted per /64: the subject is the network, and the addresses seen are listed.
    static let http404PrefixAlert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1",
        kind: .http404Burst,
        severity: .warning,
        observedAt: instant,
        subject: .http404(
            HTTP404Evidence(
                ip: "2001:db8:1:2::/64", count: 20, distinctPaths: 20, samplePaths: ["/.env"], windowSeconds: 60,
                addresses: ["2001:db8:1:2::1", "2001:db8:1:2::2"])),
        actions: [.ignore, .blockIP1h, .blockIP24h, .blockIPPermanent]
    )

    static let sshBruteForcePrefixAlert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1",
        kind: .sshBruteForce,
        severity: .warning,
        observedAt: instant,
        subject: .sshBruteForce(
            SSHBruteForceEvidence(ip: "2001:db8:1:2::/64", attempts: 6, users: ["root"], windowSeconds: 5, addresses: ["2001:db8:1:2::1"])),
        actions: [.blockIP1h, .blockIP24h, .blockIPPermanent, .ignore]
    )

    static let blockCommand = ResponseCommand(
        id: commandID,
        alertId: alertID,
        action: .blockIP(ip: "203.0.113.9", durationSeconds: 3600),
        requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"),
        issuedAt: instant,
        expiresAt: instant.addingTimeInterval(300)
    )

    static let killCommand = ResponseCommand(
        id: commandID,
        alertId: alertID,
        action: .killSession(pid: 4242, startTime: 123_456),
        requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"),
        issuedAt: instant,
        expiresAt: instant.addingTimeInterval(300)
    )

    static let refusedResult = ResponseResult(
        commandId: commandID,
        outcome: .refused(reason: "203.0.113.9 is in responses.never_block"),
        finishedAt: instant
    )

    static let doneResult = ResponseResult(
        commandId: commandID,
        outcome: .done,
        detail: "added 203.0.113.9 to inet vigil blocked4 timeout 1h",
        finishedAt: instant
    )

    static let listenerAlert = Alert(
        id: alertID,
        agent: "web-1",
        hostname: "web-1",
        kind: .newListener,
        severity: .critical,
        observedAt: instant,
        subject: .listener(
            ListenerEvidence(
                transport: "tcp", address: "0.0.0.0", port: 4444, scope: "any", pid: 4242, pidStartTime: 123_456, user: "www-data",
                process: "socat", exe: "/tmp/socat", commandLine: "/tmp/socat TCP-LISTEN:4444,fork EXEC:/bin/sh", unit: "nginx.service",
                package: nil, reasons: ["runs from /tmp", "its executable belongs to no package", "reachable on every address"])),
        actions: [.acknowledge]
    )

    func golden(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Golden/\(name)", withExtension: "json"))
        return try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// With `VIGIL_RECORD_GOLDEN=1` the files are rewritten from the current encoding (review the diff before committing).
    func check<T: Codable & Equatable>(_ value: T, golden name: String, filePath: String = #filePath) throws {
        let encoded = String(decoding: try WireCoding.encode(value), as: UTF8.self)
        if ProcessInfo.processInfo.environment["VIGIL_RECORD_GOLDEN"] == "1" {
            let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Golden")
            try (encoded + "\n").write(to: directory.appendingPathComponent("\(name).json"), atomically: true, encoding: .utf8)
            return
        }
        #expect(encoded == (try golden(name)), "\(name).json drifted")
        let decoded = try WireCoding.decode(T.self, from: Array(try golden(name).utf8))
        #expect(decoded == value)
    }

    @Test("an SSH session alert") func sshAlertGolden() throws { try check(Self.sshAlert, golden: "alert-ssh-session") }
    @Test("a CPU alert") func cpuAlertGolden() throws { try check(Self.cpuAlert, golden: "alert-cpu") }
    @Test("an HTTP 404 alert") func http404AlertGolden() throws { try check(Self.http404Alert, golden: "alert-http-404") }
    @Test("an HTTP 404 alert for an IPv6 /64, with the addresses seen") func http404PrefixGolden() throws {
        try check(Self.http404PrefixAlert, golden: "alert-http-404-prefix")
    }
    @Test("an SSH brute-force alert for an IPv6 /64, with the addresses seen") func sshBruteForcePrefixGolden() throws {
        try check(Self.sshBruteForcePrefixAlert, golden: "alert-ssh-bruteforce-prefix")
    }
    @Test("an alert from an older agent (no addresses field) still decodes, with no addresses")
    func olderAgentAlertDecodes() throws {
        let alert = try WireCoding.decode(Alert.self, from: Array(try golden("alert-http-404").utf8))
        guard case .http404(let evidence) = alert.subject else {
            Issue.record("not a 404 alert")
            return
        }
        #expect(evidence.addresses == nil)
    }
    @Test("a block command") func blockCommandGolden() throws { try check(Self.blockCommand, golden: "command-block-ip") }
    @Test("a kill command") func killCommandGolden() throws { try check(Self.killCommand, golden: "command-kill-session") }
    @Test("a refused result") func refusedGolden() throws { try check(Self.refusedResult, golden: "result-refused") }
    @Test("a new listener alert") func listenerAlertGolden() throws { try check(Self.listenerAlert, golden: "alert-new-listener") }
    @Test("a done result") func doneGolden() throws { try check(Self.doneResult, golden: "result-done") }

    @Test("an unknown action or outcome is a decoding error, not a default")
    func unknownDiscriminators() {
        #expect(throws: DecodingError.self) {
            try WireCoding.decode(ResponseAction.self, from: Array(#"{"type":"format_disk"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try WireCoding.decode(ResponseResult.Outcome.self, from: Array(#"{"status":"maybe"}"#.utf8))
        }
    }

    @Test("a heartbeat from an agent without per-severity drops still decodes, and the new field round-trips")
    func heartbeatDroppedBySeverity() throws {
        let old = #"{"agent":"web-1","version":"1","uptime_seconds":5,"sent_at":"2027-01-15T10:00:00Z","queue_depth":0,"dropped":2,"detectors":[]}"#
        let decoded = try WireCoding.decode(Heartbeat.self, from: Array(old.utf8))
        #expect(decoded.dropped == 2 && decoded.droppedBySeverity == nil)
        var beat = decoded
        beat.droppedBySeverity = DroppedAlerts(info: 1, warning: 1, critical: 0)
        let text = String(decoding: try WireCoding.encode(beat), as: UTF8.self)
        #expect(text.contains(#""dropped_by_severity":{"critical":0,"info":1,"warning":1}"#))
        #expect(try WireCoding.decode(Heartbeat.self, from: Array(text.utf8)) == beat)
    }
}
