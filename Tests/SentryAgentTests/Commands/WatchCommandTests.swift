import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent watch` as a user runs it: the real binary, real files, alerts as JSON lines on stdout, Ctrl-C.
@Suite("sentry-agent watch", .serialized, .system)
struct WatchCommandTests {
    /// A running `sentry-agent watch` whose standard output is collected line by line.
    final class Watcher: @unchecked Sendable {
        let process = Process()
        private let output = Pipe()
        private let errors = Pipe()
        // `lines` is only touched under `lock`.
        private let lock = NSLock()
        private var lines: [String] = []
        private var partial = Data()

        init(config: String) throws {
            guard let binary = FollowerCrashTests.agentBinary else { throw TestFailure("sentry-agent must be built beside the tests") }
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["watch", "--config", config]
            process.standardOutput = output
            process.standardError = errors
            output.fileHandleForReading.readabilityHandler = { [weak self] handle in self?.append(handle.availableData) }
            errors.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
            try process.run()
        }

        private func append(_ data: Data) {
            lock.withLock {
                partial.append(data)
                while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
                    partial = Data(partial[partial.index(after: newline)...])
                }
            }
        }

        var printed: [String] { lock.withLock { lines } }

        /// Waits until `count` lines were printed (or 20 s pass); returns them.
        func waitForLines(_ count: Int) async throws -> [String] {
            let deadline = ContinuousClock.now + .seconds(20)
            while printed.count < count, ContinuousClock.now < deadline, process.isRunning {
                try await Task.sleep(for: .milliseconds(50))
            }
            return printed
        }

        /// Sends SIGINT and returns the exit status.
        func interrupt() async throws -> Int32 {
            kill(process.processIdentifier, SIGINT)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                throw TestFailure("watch did not stop within 10 s of SIGINT")
            }
            output.fileHandleForReading.readabilityHandler = nil
            errors.fileHandleForReading.readabilityHandler = nil
            return process.terminationStatus
        }
    }

    static func nginxLine(_ ip: String, _ path: String, time: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return "\(ip) - - [\(formatter.string(from: time))] \"GET \(path) HTTP/1.1\" 404 153 \"-\" \"scanner\""
    }

    static func sshFailure(_ ip: String, user: String, time: Date, pid: Int) -> String {
        let stamp = ISO8601DateFormatter.string(from: time, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        return "\(stamp) web1 sshd[\(pid)]: Failed password for \(user) from \(ip) port \(40_000 + pid) ssh2"
    }

    static func append(_ lines: [String], to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try handle.close()
    }

    @Test("a 404 burst and SSH failures written to the configured files come out as wire alerts, one JSON line each; SIGINT exits 0")
    func alertsAsJSONLines() async throws {
        let directory = try TemporaryDirectory("vigil-watch")
        let access = directory.file("access.log")
        let auth = directory.file("auth.log")
        for path in [access, auth] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let config = directory.file("agent.yml")
        // No hub: section at all: watch needs only the detectors.
        try """
        detectors:
          follow: {start_at: beginning}
          ssh: {source: file, paths: [\(auth)], bucket_capacity: 5}
          http404: {paths: [\(access)], warning_count: 20}
          cpu: {enabled: false}
          listeners: {enabled: false}
          identity: {enabled: false}
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let watcher = try Watcher(config: config)
        let now = Date()
        try Self.append((1...25).map { Self.nginxLine("203.0.113.7", "/wp-admin/\($0).php", time: now) }, to: access)
        try Self.append((1...6).map { Self.sshFailure("198.51.100.9", user: "root", time: now, pid: 700 + $0) }, to: auth)

        let lines = try await watcher.waitForLines(2)
        let status = try await watcher.interrupt()
        #expect(status == 0)
        try #require(lines.count == 2, "printed: \(lines)")
        let alerts = try lines.map { try WireCoding.decode(Alert.self, from: Array($0.utf8)) }
        let http = try #require(alerts.first { $0.kind == .http404Burst })
        #expect(http.severity == .warning)
        guard case .http404(let evidence) = http.subject else { throw TestFailure("not a 404 subject: \(http.subject)") }
        #expect(evidence.ip == "203.0.113.7")
        #expect(evidence.count == 20)
        let ssh = try #require(alerts.first { $0.kind == .sshBruteForce })
        guard case .sshBruteForce(let brute) = ssh.subject else { throw TestFailure("not a brute-force subject: \(ssh.subject)") }
        #expect(brute.ip == "198.51.100.9")
        #expect(brute.users == ["root"])
        // One object per line: the wire's snake_case keys, not a pretty-printed document.
        #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") && $0.contains("\"observed_at\"") })
    }

    @Test(
        "a sudoers drop-in written by a shell in a watched tree comes out as an identity_change line naming it",
        .enabled(if: IdentityWatchSystemTests.canRun, IdentityWatchSystemTests.reason))
    func identityChange() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let config = tree.state.file("agent.yml")
        try """
        detectors:
          ssh: {enabled: false}
          http404: {enabled: false}
          cpu: {enabled: false}
          listeners: {enabled: false}
          identity: {root: \(tree.root)}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let watcher = try Watcher(config: config)
        // The watch is ready once its start scan is done; until an alert shows it is, each round writes a new drop-in.
        var round = 0
        let line = try await waitFor("an identity_change line", timeout: .seconds(30), poll: .milliseconds(300)) { () -> String? in
            if let line = watcher.printed.first(where: { $0.contains("identity_change") }) { return line }
            round += 1
            // A writer that lives past its write (the shell lingers 100 ms), as an intruder's shell does.
            try await IdentityTree.run(
                "/bin/sh", ["-c", "echo 'eve\(round) ALL=(ALL) NOPASSWD: ALL' > \(tree.root)/etc/sudoers.d/round-\(round); sleep 0.1"])
            return nil
        }
        #expect(try await watcher.interrupt() == 0)
        let alert = try WireCoding.decode(Alert.self, from: Array(line.utf8))
        guard case .identity(let evidence) = alert.subject else { throw TestFailure("not an identity subject: \(alert.subject)") }
        #expect(alert.kind == .identityChange && alert.severity == .critical)
        #expect(evidence.path.hasPrefix("/etc/sudoers.d/round-") && evidence.writer?.exe == IdentityTree.shell, "\(line)")
        #expect(evidence.changes.first?.change == "nopasswd_added")
    }

    @Test("a bad detectors: section is refused with the field named, before anything runs")
    func badConfiguration() async throws {
        let directory = try TemporaryDirectory("vigil-watch-bad")
        let config = directory.file("agent.yml")
        try "detectors:\n  cpu: {windw: 1m}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await AgentCLI.run(["watch", "--config", config])
        #expect(result.status == 1)
        #expect(result.errors.contains("detectors.cpu.windw: unknown field `windw` (did you mean `window`?)"))
    }
}
