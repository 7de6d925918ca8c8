import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent run --log-format json` as installed: the start line, an alert's line with its subject, and the stop
/// line, each a JSON object with a millisecond UTC time.
@Suite("sentry-agent log lines", .serialized, .system)
struct AgentLogBinaryTests {
    @Test(
        "run logs its detectors at start, each alert with its subject, and `stopped` on SIGTERM, as typed JSON",
        .enabled(if: FollowerCrashTests.agentBinary != nil, "needs the sentry-agent binary (swift build --build-tests)")
    )
    func startAlertStop() async throws {
        let binary = try #require(FollowerCrashTests.agentBinary)
        let directory = try StateDirectoryLockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let accessLog = directory + "/access.log"
        let stamp = Date().formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(day: .twoDigits)/\(month: .abbreviated)/\(year: .defaultDigits):\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) +0000",
                locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
        let line = "203.0.113.7 - - [\(stamp)] \"GET /wp-login.php HTTP/1.1\" 404 153 \"-\" \"scanner\"\n"
        try String(repeating: line, count: 25).write(toFile: accessLog, atomically: true, encoding: .utf8)
        let config = StateDirectoryLockTests.configuration(state: directory + "/state")
            .replacingOccurrences(
                of: "  http404: {enabled: false}",
                with: "  follow: {start_at: beginning}\n  http404: {enabled: true, paths: [\(accessLog)], warning_count: 20, critical_count: 100}")
        try config.write(toFile: directory + "/agent.yml", atomically: true, encoding: .utf8)
        let logPath = directory + "/agent.log"
        try Data().write(to: URL(fileURLWithPath: logPath))

        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: binary)
        agent.arguments = ["run", "--config", directory + "/agent.yml", "--log-format", "json"]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try agent.run()
        // A stuck agent must fail the test, not hang it.
        DispatchQueue.global().asyncAfter(deadline: .now() + 40) { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }

        func lines() -> [[String: Any]] {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !lines().contains(where: { ($0["message"] as? String)?.hasPrefix("http_404_burst") == true }) {
            guard ContinuousClock.now < deadline, agent.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        agent.terminate()
        await ProgramRun.waitForExit(agent)

        let logged = lines()
        let messages = logged.compactMap { $0["message"] as? String }
        #expect(messages.contains("detectors: http404 (\(accessLog))"), "\(messages)")
        #expect(messages.contains { $0.wholeMatch(of: /http_404_burst warning 203\.0\.113\.7 2\d×404\/60s/) != nil }, "\(messages)")
        #expect(messages.last == "stopped", "\(messages)")
        let started = try #require(logged.first { $0["message"] as? String == "agent started" })
        #expect(started["queued"] is NSNumber, "queued is a JSON number: \(started)")
        for object in logged {
            let time = try #require(object["time"] as? String)
            #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
        }
    }
}
