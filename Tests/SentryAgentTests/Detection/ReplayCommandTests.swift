import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent replay` as a user runs it: the built binary over files, JSON lines out, a summary on stderr.
@Suite("sentry-agent replay", .serialized, .system)
struct ReplayCommandTests {
    struct Run {
        var status: Int32
        var output: String
        var summary: String

        var records: [[String: Any]] {
            output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        /// "peak memory N MiB" from the summary.
        var peakMiB: Double? {
            guard let range = summary.range(of: "peak memory ") else { return nil }
            return Double(summary[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
    }

    static func replay(_ arguments: [String]) async throws -> Run {
        let binary = try #require(FollowerCrashTests.agentBinary, "sentry-agent must be built beside the tests")
        let run = try await ProgramRun.run([binary, "replay"] + arguments)
        return Run(status: run.status, output: run.output, summary: run.errors)
    }

    @Test("ssh over a Debian auth.log prints one JSON object per login, then a summary line on stderr")
    func sshSessions() async throws {
        let run = try await Self.replay(["--detector", "ssh", DetectionFixtures.path("auth-debian.log")])
        #expect(run.status == 0)
        let records = run.records
        #expect(records.count == 2)
        #expect(records.first?["kind"] as? String == "ssh_session")
        #expect(records.first?["user"] as? String == "alice")
        #expect(records.first?["ip"] as? String == "203.0.113.7")
        #expect(records.first?["pid"] as? Int == 1301)
        #expect((records.first?["first_seen"] as? String)?.hasSuffix("-11-22T02:51:03Z") == true)
        #expect(run.summary.hasPrefix("replay: 18 lines read in "))
        #expect(run.summary.contains("lines/s), 2 alerts"))
    }

    @Test("ssh-bruteforce with a configuration's thresholds, over a gzip file")
    func bruteForceGzipWithConfig() async throws {
        let directory = try TemporaryDirectory("vigil-replay")
        let gzipped = directory.file("auth.log.2.gz")
        _ = try await ProgramRun.run(["/bin/sh", "-c", "gzip -c '\(DetectionFixtures.path("auth-debian.log"))' > '\(gzipped)'"])
        let config = directory.file("agent.yml")
        try "hub: {url: 'http://x'}\ndetectors:\n  ssh: {bucket_capacity: 2}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let strict = try await Self.replay(["--detector", "ssh-bruteforce", "--config", config, gzipped])
        let loose = try await Self.replay(["--detector", "ssh-bruteforce", gzipped])
        #expect(strict.status == 0 && loose.status == 0)
        #expect(loose.records.count == 1)
        #expect(loose.records.first?["count"] as? Int == 6)
        #expect(loose.records.first?["users"] as? [String] == ["admin", "root"])
        // Capacity 2: the third unit overflows, at 02:52:10.
        #expect(strict.records.first?["count"] as? Int == 3)
    }

    @Test("a bad configuration is refused with the field named; an unknown detector is refused")
    func badInput() async throws {
        let directory = try TemporaryDirectory("vigil-replay-bad")
        let config = directory.file("agent.yml")
        try "detectors:\n  http404: {warning_count: many}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try await Self.replay(["--detector", "http404", "--config", config, DetectionFixtures.path("nginx-access.log")])
        #expect(bad.status != 0)
        #expect(bad.summary.contains("detectors.http404.warning_count: expected a whole number"))
        let unknown = try await Self.replay(["--detector", "fail2ban", DetectionFixtures.path("nginx-access.log")])
        #expect(unknown.status != 0)
    }

    @Test("http404 over 10,000 scanning addresses: alerts for the scanners only, and tracking them adds under 4 MiB")
    func manyAddresses() async throws {
        let directory = try TemporaryDirectory("vigil-replay-many")
        let big = directory.file("access.log")
        var text = ""
        for index in 0..<10_000 {
            let ip = "10.\(index / 65_536).\((index / 256) % 256).\(index % 256)"
            for attempt in 0..<3 {
                text +=
                    "\(ip) - - [22/Nov/2025:02:51:\(attempt < 10 ? "0" : "")\(attempt) +0000] \"GET /probe/\(index)/\(attempt) HTTP/1.1\" 404 1 \"-\" \"x\"\n"
            }
        }
        for second in 0..<30 {
            text +=
                "198.51.100.66 - - [22/Nov/2025:02:51:\(second < 10 ? "0" : "")\(second) +0000] \"GET /wp\(second).php HTTP/1.1\" 404 1 \"-\" \"x\"\n"
        }
        try text.write(toFile: big, atomically: true, encoding: .utf8)
        // The same bytes with the 10,000 addresses answered 200: read and parsed the same way, the same alert printed
        // (encoding the first alert has a memory cost of its own), but only the scanner is tracked.
        let untracked = directory.file("ok.log")
        let probesOK = text.split(separator: "\n").map {
            $0.contains("/probe/") ? $0.replacingOccurrences(of: "\" 404 1 ", with: "\" 200 1 ") : String($0)
        }
        try (probesOK.joined(separator: "\n") + "\n").write(toFile: untracked, atomically: true, encoding: .utf8)
        let baseline = try await Self.replay(["--detector", "http404", untracked])
        #expect(baseline.records.count == 1)
        let run = try await Self.replay(["--detector", "http404", big])
        #expect(run.records.map { $0["ip"] as? String } == ["198.51.100.66"])
        #expect(run.records.first?["count"] as? Int == 20)
        // Samples are kept from 5 short of the warning count: the 15th to 19th paths.
        #expect(run.records.first?["paths"] as? [String] == ["/wp14.php", "/wp15.php", "/wp16.php", "/wp17.php", "/wp18.php"])
        let grown = (run.peakMiB ?? 999) - (baseline.peakMiB ?? 0)
        #expect(grown < 4, "peak grew by \(grown) MiB: \(baseline.summary) / \(run.summary)")
    }

    @Test("--explain reports per file: lines read, parsed, not matching (first three shown with line numbers), truncated, 404s and alerts")
    func explainHTTP404() async throws {
        let directory = try TemporaryDirectory("vigil-replay-explain")
        let log = directory.file("access.log")
        var lines = (0..<25).map {
            "203.0.113.7 - - [22/Nov/2025:02:51:\($0 < 10 ? "0" : "")\($0) +0000] \"GET /x\($0) HTTP/1.1\" 404 1 \"-\" \"x\""
        }
        lines.insert("this is not an access log line", at: 3)
        lines.insert("nor is this one", at: 7)
        lines.append("203.0.113.8 - - [22/Nov/2025:02:52:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"" + String(repeating: "A", count: 400) + "\"")
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        let config = directory.file("agent.yml")
        try "detectors:\n  follow: {max_line_bytes: 256}\n".write(toFile: config, atomically: true, encoding: .utf8)

        let run = try await Self.replay(["--detector", "http404", "--explain", "--config", config, log])
        #expect(run.status == 0)
        #expect(run.output.hasPrefix(log + "\n"))
        #expect(run.output.contains("  lines read     28\n"))
        #expect(run.output.contains("  parsed         26\n"))
        #expect(run.output.contains("  not matching   2  (not in the log format"))
        #expect(run.output.contains("    line 4: this is not an access log line\n"))
        #expect(run.output.contains("    line 8: nor is this one\n"))
        #expect(run.output.contains("  truncated      1  (longer than detectors.follow.max_line_bytes = 256: cut there and still parsed)\n"))
        #expect(run.output.contains("  http404  25 lines with status 404 → 1 alert (1 http_404_burst warning)\n"))
        // The report replaces the JSON lines.
        #expect(!run.output.contains("{"))
    }

    @Test("--explain for ssh counts sshd lines apart from the rest of an auth log, per file")
    func explainSSH() async throws {
        let run = try await Self.replay([
            "--detector", "ssh", "--explain", DetectionFixtures.path("auth-debian.log"), DetectionFixtures.path("secure-rhel.log"),
        ])
        #expect(run.status == 0)
        let reports = run.output.components(separatedBy: "\n/")
        #expect(reports.count == 2)
        #expect(reports.first?.contains("  lines read     18\n") == true)
        #expect(reports.first?.contains("→ 2 alerts (") == true, "\(run.output)")
    }

    @Test("a directory or an unreadable file is an error with exit status 1, not \"0 lines\"", arguments: [false, true])
    func directoryIsAnError(explain: Bool) async throws {
        let directory = try TemporaryDirectory("vigil-replay-dir")
        let run = try await Self.replay(["--detector", "http404"] + (explain ? ["--explain"] : []) + [directory.path])
        #expect(run.status == 1)
        #expect(run.summary.contains("\(directory.path) is a directory, not a log file"), "\(run.summary)")
        let missing = try await Self.replay(["--detector", "http404"] + (explain ? ["--explain"] : []) + [directory.file("absent.log")])
        #expect(missing.status == 1)
        #expect(missing.summary.contains("cannot open \(directory.file("absent.log")): No such file or directory"))
    }
}
