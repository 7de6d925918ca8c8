import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("SSH session and brute-force detectors")
struct SSHDetectorTests {
    static let now = utc(2025, 11, 22, 12)

    static func consumer(
        sessions: Bool = true, bruteForce: Bool = true, configuration: SSHBruteForceDetector.Configuration = .init(),
        known: KnownLogins = KnownLogins(capacity: 100), processes: SSHSessionProcesses? = nil
    ) -> (SSHLogConsumer, RecordingOutlet) {
        let outlet = RecordingOutlet()
        let consumer = SSHLogConsumer(
            sessions: sessions ? SSHSessionDetector(knownLogins: known) : nil,
            bruteForce: bruteForce ? SSHBruteForceDetector(configuration: configuration) : nil,
            sessionProcesses: processes, knownLoginStore: nil, outlet: outlet, wallClock: { Self.now }, utcOffset: 0)
        return (consumer, outlet)
    }

    static func feed(_ consumer: inout SSHLogConsumer, _ lines: [[UInt8]]) {
        for (index, line) in lines.enumerated() {
            line.withLine { consumer.consume($0, origin: LineOrigin(stream: 1, offset: Int64(index))) }
        }
        _ = consumer.flush()
    }

    static func sessions(_ detections: [Detection]) -> [SSHSessionEvidence] {
        detections.compactMap { if case .sshSession(let evidence) = $0.subject { evidence } else { nil } }
    }

    @Test("a Debian auth.log: both logins are ssh_session with user, address, port, method and the sshd pid")
    func debianSessions() {
        var (consumer, outlet) = Self.consumer(bruteForce: false)
        Self.feed(&consumer, DetectionFixtures.lines("auth-debian.log"))
        let sessions = Self.sessions(outlet.detections)
        #expect(sessions.count == 2)
        #expect(
            sessions.first == SSHSessionEvidence(user: "alice", ip: "203.0.113.7", port: 51022, method: "publickey", pid: 1301, pidStartTime: nil))
        #expect(sessions.last == SSHSessionEvidence(user: "root", ip: "2001:db8::42", port: 60000, method: "password", pid: 1350, pidStartTime: nil))
        #expect(outlet.detections.first?.observedAt == utc(2025, 11, 22, 2, 51, 3))
    }

    @Test("OpenSSH 9.8+ sshd-session lines in RFC 3339 syslog, and RHEL's secure log, are read the same way")
    func otherFormats() {
        var (consumer, outlet) = Self.consumer(bruteForce: false)
        Self.feed(&consumer, DetectionFixtures.lines("auth-rfc3339.log") + DetectionFixtures.lines("secure-rhel.log"))
        let sessions = Self.sessions(outlet.detections)
        #expect(sessions.map(\.user) == ["bob", "carol@EXAMPLE.ORG", "dave"])
        #expect(sessions.map(\.pid) == [2201, 2211, 3301])
        #expect(sessions.map(\.method) == ["keyboard-interactive/pam", "gssapi-with-mic", "password"])
    }

    @Test("severity: warning for root and for an address new to that user, info for a familiar one")
    func severity() {
        let known = KnownLogins(capacity: 10, logins: [.init(user: "alice", ip: IPKey(v4: 0xCB00_7107))])
        var (consumer, outlet) = Self.consumer(bruteForce: false, known: known)
        Self.feed(
            &consumer,
            [
                "Nov 22 10:00:00 h sshd[1]: Accepted publickey for alice from 203.0.113.7 port 1 ssh2",
                "Nov 22 10:00:01 h sshd[2]: Accepted publickey for alice from 203.0.113.8 port 1 ssh2",
                "Nov 22 10:00:02 h sshd[3]: Accepted publickey for alice from 203.0.113.8 port 2 ssh2",
                "Nov 22 10:00:03 h sshd[4]: Accepted publickey for root from 203.0.113.7 port 1 ssh2",
                "Nov 22 10:00:04 h sshd[5]: Accepted publickey for root from 203.0.113.7 port 2 ssh2",
            ].map(bytes))
        #expect(outlet.detections.map(\.severity) == [.info, .warning, .info, .warning, .warning])
    }

    @Test("journald entries: the message as a string or as bytes, _PID and the realtime stamp; junk lines are skipped")
    func journalEntries() throws {
        var (consumer, outlet) = Self.consumer()
        var entries: [JournalEntry] = []
        for line in DetectionFixtures.lines("journal-sshd.jsonl") {
            if let entry = line.withLine({ JournalEntry.parse($0) }) { entries.append(entry) }
        }
        #expect(entries.count == 2)
        for entry in entries { consumer.consume(entry, origin: LineOrigin(stream: FNV1a.hash(entry.cursor), offset: 0)) }
        _ = consumer.flush()
        let session = try #require(Self.sessions(outlet.detections).first)
        #expect(session == SSHSessionEvidence(user: "frank", ip: "192.0.2.50", port: 40001, method: "publickey", pid: 2201, pidStartTime: nil))
        #expect(outlet.detections.first?.observedAt == 1_763_776_263)
        #expect(entries[1].message.contains(0xFF))
        #expect(entries[1].pid == 2202 && entries[1].command == "sshd")
    }

    @Test("the leaky bucket: five failures fill it, the sixth inside the leak time overflows it")
    func bucketOverflow() {
        var detector = SSHBruteForceDetector(configuration: .init())
        let ip = IPKey(v4: 0xC633_6401)
        var results: [Detection?] = []
        for second in 0..<6 {
            results.append(detector.failure(.failedPassword, user: "root", ip: ip, time: Self.now + Int64(second), origin: nil))
        }
        #expect(results.prefix(5).allSatisfy { $0 == nil })
        let alert = results.last.flatMap { $0 }
        guard case .sshBruteForce(let evidence)? = alert?.subject else {
            Issue.record("no brute-force alert on the sixth failure")
            return
        }
        #expect(evidence == SSHBruteForceEvidence(ip: "198.51.100.1", attempts: 6, users: ["root"], windowSeconds: 5))
        #expect(alert?.kind == .sshBruteForce)
    }

    @Test("slow guessing leaks out: one failure every 10 s never overflows")
    func slowGuessingLeaks() {
        var detector = SSHBruteForceDetector(configuration: .init())
        let ip = IPKey(v4: 0xC633_6402)
        for step in 0..<100 {
            #expect(detector.failure(.failedPassword, user: "u\(step)", ip: ip, time: Self.now + Int64(step) * 10, origin: nil) == nil)
        }
    }

    @Test("PAM's authentication failure and the Failed password that follows are one guess, not two")
    func pamPairCountsOnce() {
        var detector = SSHBruteForceDetector(configuration: .init())
        let ip = IPKey(v4: 0xC633_6403)
        var alerts = 0
        for second in 0..<5 {
            let time = Self.now + Int64(second)
            if detector.failure(.authenticationFailure, user: "root", ip: ip, time: time, origin: nil) != nil { alerts += 1 }
            if detector.failure(.failedPassword, user: "root", ip: ip, time: time, origin: nil) != nil { alerts += 1 }
        }
        #expect(alerts == 0)
        #expect(detector.failure(.authenticationFailure, user: "root", ip: ip, time: Self.now + 5, origin: nil) != nil)
    }

    @Test("after an alert the address is quiet for the cooldown, then alerts again; users are capped")
    func cooldownAndUserCap() {
        var detector = SSHBruteForceDetector(configuration: .init(capacity: 5, leakIntervalSeconds: 10, cooldownSeconds: 300, maxUsersListed: 3))
        let ip = IPKey(v4: 0xC633_6404)
        var alertTimes: [Int64] = []
        var lastUsers: [String] = []
        for second in 0..<400 {
            let time = Self.now + Int64(second)
            if let detection = detector.failure(.invalidUser, user: "user\(second % 7)", ip: ip, time: time, origin: nil),
                case .sshBruteForce(let evidence) = detection.subject
            {
                alertTimes.append(time - Self.now)
                lastUsers = evidence.users
            }
        }
        #expect(alertTimes == [5, 305])
        #expect(lastUsers.count == 3)
    }

    @Test("addresses are kept apart, and the Debian fixture's attacker is caught by the consumer")
    func fixtureAttacker() {
        var (consumer, outlet) = Self.consumer(sessions: false)
        Self.feed(&consumer, DetectionFixtures.lines("auth-debian.log"))
        let alerts = outlet.detections.compactMap { if case .sshBruteForce(let evidence) = $0.subject { evidence } else { nil } }
        // Invalid user, two PAM+Failed pairs, PAM+Failed for root, a second Failed, maximum attempts: 6 units in 3 s.
        #expect(alerts.count == 1)
        #expect(alerts.first?.ip == "198.51.100.23")
        #expect(alerts.first?.attempts == 6)
        #expect(alerts.first?.users == ["admin", "root"])
    }

    @Test("idle buckets are swept, so an address seen once is not kept forever")
    func idleSwept() {
        var detector = SSHBruteForceDetector(configuration: .init())
        for index in 0..<1000 {
            _ = detector.failure(.invalidUser, user: nil, ip: IPKey(v4: 0x0A00_0000 + UInt32(index)), time: Self.now, origin: nil)
        }
        #expect(detector.trackedAddresses == 1000)
        _ = detector.failure(.invalidUser, user: nil, ip: IPKey(v4: 0x0B00_0000), time: Self.now + 3600, origin: nil)
        #expect(detector.trackedAddresses == 1)
    }

    @Test("live: the session's start time is read from /proc/<pid>/stat, and kill_session is offered only with it")
    func startTimeFromProc() throws {
        let root = try TemporaryDirectory("vigil-proc")
        try FakeProc.write(root: root.path, pid: 4242, name: "sshd", startTime: 987_654)
        try FakeProc.write(root: root.path, pid: 4243, name: "bash", startTime: 5)
        var (consumer, outlet) = Self.consumer(bruteForce: false, processes: SSHSessionProcesses(proc: ProcFileSystem(root: root.path)))
        Self.feed(
            &consumer,
            [
                "Nov 22 10:00:00 h sshd[4242]: Accepted publickey for alice from 203.0.113.7 port 1 ssh2",
                "Nov 22 10:00:00 h sshd[4243]: Accepted publickey for alice from 203.0.113.7 port 2 ssh2",
                "Nov 22 10:00:00 h sshd[4244]: Accepted publickey for alice from 203.0.113.7 port 3 ssh2",
            ].map(bytes))
        let sessions = Self.sessions(outlet.detections)
        #expect(sessions.map(\.pidStartTime) == [987_654, nil, nil])
        let factory = AlertFactory(agentID: "web-1", hostname: "web-1", responses: ResponsesConfiguration())
        #expect(factory.alert(for: outlet.detections[0]).actions == [.acknowledge, .killSession, .blockIP1h, .blockIP24h, .blockIPPermanent])
        #expect(factory.alert(for: outlet.detections[1]).actions == [.acknowledge, .blockIP1h, .blockIP24h, .blockIPPermanent])
    }

    @Test("known logins survive a restart through the state file, oldest forgotten past the cap")
    func knownLoginsPersist() throws {
        let directory = try TemporaryDirectory("vigil-known")
        let store = KnownLoginStore(path: directory.file("known-logins.tsv"), capacity: 3)
        var detector = SSHSessionDetector(knownLogins: store.load())
        for (index, user) in ["a", "b", "c", "d"].enumerated() {
            _ = detector.accepted(method: "password", user: user, ip: IPKey(v4: 1), port: index, pid: 1, time: Self.now, origin: nil)
            store.append(detector.takeLearned(), all: detector.knownLogins)
        }
        let reloaded = KnownLoginStore(path: directory.file("known-logins.tsv"), capacity: 3).load()
        #expect(reloaded.count == 3)
        #expect(!reloaded.contains(.init(user: "a", ip: IPKey(v4: 1))))
        #expect(reloaded.contains(.init(user: "d", ip: IPKey(v4: 1))))
    }
}

/// Writes `/proc`-shaped fixture files.
enum FakeProc {
    /// `<root>/<pid>/stat` with the given name, start time and CPU ticks, and a `status` with the uid.
    static func write(root: String, pid: Int32, name: String, startTime: UInt64, ticks: UInt64 = 0, parent: Int32 = 1, uid: UInt32 = 0) throws {
        let directory = "\(root)/\(pid)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Fields 3…22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
        // priority nice threads itrealvalue starttime.
        let fields = [
            "S", "\(parent)", "1", "1", "0", "-1", "4194560", "0", "0", "0", "0", "\(ticks / 2)", "\(ticks - ticks / 2)", "0", "0", "20", "0", "1",
            "0", "\(startTime)", "1000", "100",
        ]
        try "\(pid) (\(name)) \(fields.joined(separator: " "))\n".write(toFile: directory + "/stat", atomically: true, encoding: .utf8)
        try "Name:\t\(name)\nUmask:\t0022\nState:\tS\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\n".write(
            toFile: directory + "/status", atomically: true, encoding: .utf8)
    }

    /// `<root>/stat` with an aggregate line (busy and idle ticks) and `cpus` per-CPU lines.
    static func writeCPU(root: String, busy: UInt64, idle: UInt64, cpus: Int = 2) throws {
        var text = "cpu  \(busy) 0 0 \(idle) 0 0 0 0 0 0\n"
        for index in 0..<cpus { text += "cpu\(index) 0 0 0 0 0 0 0 0 0 0\n" }
        text += "intr 0\nctxt 0\n"
        try text.write(toFile: root + "/stat", atomically: true, encoding: .utf8)
    }
}
