import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("Timestamps, addresses, alert ids, sockets and configuration of the detectors")
struct DetectionSupportTests {
    @Test("nginx $time_local with its offset, RFC 3339 with fractions and Z, and bad input refused")
    func timestamps() {
        bytes("22/Nov/2025:02:51:07 +0130").withLine { line in
            #expect(LogTimestamp.nginxLocalTime(line, 0..<line.count) == utc(2025, 11, 22, 1, 21, 7))
        }
        bytes("29/Feb/2024:23:59:59 -0500").withLine { line in
            #expect(LogTimestamp.nginxLocalTime(line, 0..<line.count) == utc(2024, 3, 1, 4, 59, 59))
        }
        bytes("22/Nox/2025:02:51:07 +0000").withLine { line in
            #expect(LogTimestamp.nginxLocalTime(line, 0..<line.count) == nil)
        }
        bytes("2025-11-22T02:51:07.5Z rest").withLine { line in
            #expect(LogTimestamp.rfc3339(line, at: 0)?.seconds == utc(2025, 11, 22, 2, 51, 7))
            #expect(LogTimestamp.rfc3339(line, at: 0)?.end == 22)
        }
        #expect(LogTimestamp.year(ofUnixSeconds: utc(2024, 12, 31, 23, 59, 59)) == 2024)
        #expect(LogTimestamp.year(ofUnixSeconds: utc(2025, 1, 1)) == 2025)
    }

    @Test(
        "addresses from bytes: IPv4 fast path, IPv6 and mapped IPv4 agree with IPAddress; junk is refused",
        arguments: [
            ("1.2.3.4", "1.2.3.4"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("::ffff:10.0.0.1", "10.0.0.1"),
            ("2001:DB8::1", "2001:db8::1"), ("01.2.3.4", nil), ("1.2.3", nil), ("1.2.3.4.5", nil), ("256.1.1.1", nil), ("1.2.3.4 ", nil),
            ("example.com", nil), ("", nil), ("1..2.3", nil),
        ])
    func addresses(_ text: String, _ expected: String?) {
        let key = bytes(text).withLine { IPKey($0, 0..<$0.count) }
        #expect(key?.description == expected)
        if let key, let address = IPAddress(text) { #expect(key == IPKey(address)) }
    }

    @Test("alert ids: the same line gives the same id (a re-read after a crash is deduplicated), another line another id")
    func deterministicIDs() {
        let evidence = HTTP404Evidence(ip: "198.51.100.1", count: 20, distinctPaths: 3, samplePaths: [], windowSeconds: 60)
        let detection = Detection(
            kind: .http404Burst, severity: .warning, subject: .http404(evidence), observedAt: 1, firstSeen: 1, lastSeen: 1,
            origin: LineOrigin(stream: 42, offset: 1000))
        var other = detection
        other.origin = LineOrigin(stream: 42, offset: 1001)
        var critical = detection
        critical.severity = .critical
        let first = AlertFactory.alertID(agentID: "web-1", detection: detection)
        #expect(first == AlertFactory.alertID(agentID: "web-1", detection: detection))
        #expect(first != AlertFactory.alertID(agentID: "web-1", detection: other))
        #expect(first != AlertFactory.alertID(agentID: "web-1", detection: critical))
        #expect(first != AlertFactory.alertID(agentID: "web-2", detection: detection))
        #expect(first.uuidString.dropFirst(14).first == "8")
        var cpu = detection
        cpu.origin = nil
        #expect(AlertFactory.alertID(agentID: "web-1", detection: cpu) != AlertFactory.alertID(agentID: "web-1", detection: cpu))
    }

    @Test("offered actions follow the responses configuration: no block when blocking is off, power only when enabled")
    func offeredActions() {
        var responses = ResponsesConfiguration()
        responses.blockIP = false
        responses.reboot = true
        let factory = AlertFactory(agentID: "a", hostname: "h", responses: responses)
        let http = Detection(
            kind: .http404Burst, severity: .warning,
            subject: .http404(HTTP404Evidence(ip: "192.0.2.1", count: 20, distinctPaths: 1, samplePaths: [], windowSeconds: 60)), observedAt: 0,
            firstSeen: 0, lastSeen: 0)
        let cpu = Detection(
            kind: .cpuSustained, severity: .critical, subject: .cpu(CPUEvidence(percent: 99, windowSeconds: 60, topProcesses: [])), observedAt: 0,
            firstSeen: 0, lastSeen: 0)
        var recovered = cpu
        recovered.kind = .cpuRecovered
        #expect(factory.actions(for: http) == [.ignore])
        #expect(factory.actions(for: cpu) == [.acknowledge, .reboot])
        #expect(factory.actions(for: recovered) == [])
        let defaults = AlertFactory(agentID: "a", hostname: "h", responses: ResponsesConfiguration())
        #expect(defaults.actions(for: http) == [.ignore, .blockIP1h, .blockIP24h, .blockIPPermanent])
        #expect(defaults.actions(for: cpu) == [.acknowledge])
        #expect(defaults.alert(for: cpu).observedAt == Date(timeIntervalSince1970: 0))
    }

    @Test("the TCP socket of a connection is found in /proc/net/tcp and tcp6 (IPv4 and IPv4-mapped)")
    func socketTables() {
        let tcp = bytes(
            """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:59D7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 113412 1 0000 100 0 0 10 0
               1: 0100007F:59D7 0100007F:B790 01 00000000:00000000 02:0009A1D2 00000000     0        0 123456 2 0000 20 4 30 10 -1
            """)
        tcp.withLine { table in
            #expect(SSHSessionProcesses.inode(in: table, remoteIP: IPKey(v4: 0x7F00_0001), remotePort: 0xB790) == 123_456)
            #expect(SSHSessionProcesses.inode(in: table, remoteIP: IPKey(v4: 0x7F00_0001), remotePort: 0xB791) == nil)
        }
        let tcp6 = bytes(
            """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:0016 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 02:00000D8D 00000000     0        0 777 2 0 20 4 30 10 -1
            """)
        tcp6.withLine { table in
            #expect(SSHSessionProcesses.inode(in: table, remoteIP: IPKey(v4: 0x7F00_0001), remotePort: 50000) == 777)
        }
    }

    @Test("the detectors: section: defaults, every field read, and bad values named by their dotted path")
    func configuration() throws {
        let defaults = try DetectorsConfiguration.parse(yaml: "agent: {id: x}\n")
        #expect(defaults == DetectorsConfiguration())
        #expect(defaults.ssh.paths == ["/var/log/auth.log", "/var/log/secure"])
        let custom = try DetectorsConfiguration.parse(
            yaml: """
                detectors:
                  follow: {poll_interval: 2s, max_line_bytes: 4096, rotation_grace: 10s, start_at: beginning}
                  ssh: {source: journald, bucket_capacity: 3, leak_interval: 20s, cooldown: 1m, sessions: false}
                  cpu: {window: 2m, warning_percent: 70, critical_percent: 90, hysteresis_points: 5, proc_root: /tmp/proc}
                  http404:
                    paths: [/var/log/nginx/a.log, /var/log/nginx/b.log]
                    log_format: '$remote_addr [$time_local] "$request" $status'
                    warning_count: 10
                    critical_count: 30
                """)
        #expect(custom.follow.pollInterval == .seconds(2) && custom.follow.startAt == .beginning)
        #expect(custom.ssh.source == .journald && custom.ssh.bucketCapacity == 3 && custom.ssh.cooldown == .seconds(60) && !custom.ssh.sessions)
        #expect(custom.cpu.window == .seconds(120) && custom.cpu.warningPercent == 70)
        #expect(custom.http404.paths.count == 2 && custom.http404.warningCount == 10)
        var problems: [String] = []
        do {
            _ = try DetectorsConfiguration.parse(
                yaml: """
                    detectors:
                      ssh: {source: syslog, paths: [relative.log]}
                      cpu: {warning_percent: 99, critical_percent: 90, windw: 1m}
                      http404: {log_format: '$remote_addr $status'}
                    """)
        } catch let error as ConfigError {
            problems = error.problems.map(\.description)
        }
        #expect(problems.contains("detectors.ssh.source: expected one of auto, file, journald"))
        #expect(problems.contains("detectors.ssh.paths[0]: must be an absolute path"))
        #expect(problems.contains("detectors.cpu.critical_percent: must not be below warning_percent"))
        #expect(problems.contains("detectors.cpu.windw: unknown field `windw` (did you mean `window`?)"))
        #expect(problems.contains { $0.hasPrefix("detectors.http404.log_format: missing $request") })
    }

    @Test("config/agent.example.yml shows every detectors: option, each with the default the code uses")
    func exampleShowsDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/agent.example.yml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try DetectorsConfiguration.parse(yaml: text) == DetectorsConfiguration())
        for key in [
            "poll_interval", "max_line_bytes", "rotation_grace", "start_at", "enabled", "sessions", "brute_force", "source", "journalctl",
            "bucket_capacity",
            "leak_interval", "max_users_listed", "max_known_logins", "interval", "warning_percent", "critical_percent", "hysteresis_points",
            "top_processes", "proc_root", "log_format", "warning_count", "critical_count", "max_tracked_addresses", "trusted_proxies",
        ] {
            #expect(text.contains("\n    \(key): "), "\(key) is not shown uncommented")
        }
        #expect(text.contains("\n  ipv6_prefix: "), "ipv6_prefix is not shown uncommented")
    }

    @Test("the agent configuration reads its detectors: section")
    func agentConfiguration() throws {
        let yaml = """
            agent: {id: web-1, state_dir: /var/lib/vigil-agent}
            hub: {url: "http://10.0.0.1:7070", key: "\(AgentKey.generate().base64)"}
            detectors:
              http404: {warning_count: 7}
            """
        #expect(try AgentConfiguration.parse(yaml: yaml, environment: [:]).detectors.http404.warningCount == 7)
    }
}

@Suite("The detection service")
struct DetectionServiceTests {
    @Test("SSH source: auto follows the files that exist and falls back to journald when there is none")
    func sshSourceChoice() {
        var ssh = DetectorsConfiguration.SSHConfiguration()
        #expect(DetectionService.sshSourcePlan(ssh) { $0 == "/var/log/secure" } == (false, ["/var/log/secure"]))
        #expect(DetectionService.sshSourcePlan(ssh) { _ in false } == (true, []))
        ssh.source = .file
        #expect(DetectionService.sshSourcePlan(ssh) { _ in false } == (false, ["/var/log/auth.log", "/var/log/secure"]))
        ssh.source = .journald
        #expect(DetectionService.sshSourcePlan(ssh) { _ in true } == (true, []))
    }

    @Test("SSH source: auto with paths written in the configuration follows them, missing or not, and never falls back to journald")
    func explicitSSHPathsNeverFallBack() throws {
        let ssh = try DetectorsConfiguration.parse(yaml: "detectors: {ssh: {paths: [/var/log/custom-auth.log]}}").ssh
        #expect(ssh.pathsAreExplicit)
        #expect(DetectionService.sshSourcePlan(ssh) { _ in false } == (false, ["/var/log/custom-auth.log"]))
    }

    @Test("ssh.enabled: false turns off both SSH detectors")
    func sshEnabledSwitch() throws {
        let ssh = try DetectorsConfiguration.parse(yaml: "detectors: {ssh: {enabled: false}}").ssh
        #expect(!ssh.isActive)
        #expect(try DetectorsConfiguration.parse(yaml: "").ssh.isActive)
    }

    @Test("with every detector off it stays up until cancelled (a service group stops the agent when one returns)")
    func staysUpWithNothingToWatch() async throws {
        let directory = try TemporaryDirectory("vigil-service")
        var configuration = DetectorsConfiguration()
        configuration.ssh.sessions = false
        configuration.ssh.bruteForce = false
        configuration.cpu.enabled = false
        configuration.listeners.enabled = false
        configuration.identity.enabled = false
        configuration.http404.enabled = false
        let finished = StartedSignal()
        let service = DetectionService(
            configuration: configuration, stateDirectory: directory.path,
            factory: AlertFactory(agentID: "a", hostname: "h", responses: ResponsesConfiguration()), sink: RecordingSink(),
            logger: Logger(label: "test"))
        let task = Task {
            try? await service.run()
            finished.fire()
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!finished.hasFired)
        task.cancel()
        await finished.wait(timeout: .seconds(5))
        #expect(finished.hasFired)
    }
}
