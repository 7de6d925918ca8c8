import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Once settled, the agent gives back the pages of its own binary that only its start needed.
@Suite("Start-up code given back", .serialized, .system)
struct StartupCodeShedderTests {
    @Test("only the executable's read-only mappings are chosen, whatever the padding before the path")
    func readOnlyMappings() {
        let maps = """
            55d0c0000000-55d0c0200000 r--p 00000000 08:01 1234                       /usr/sbin/sentry-agent
            55d0c0200000-55d0c1000000 r-xp 00200000 08:01 1234                       /usr/sbin/sentry-agent
            55d0c1000000-55d0c1100000 rw-p 01000000 08:01 1234                       /usr/sbin/sentry-agent
            55d0c1100000-55d0c1200000 r--p 01100000 08:01 1234                       /usr/sbin/sentry-agent-old
            7f0000000000-7f0000100000 r-xp 00000000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000200000-7f0000300000 rw-p 00000000 00:00 0                          [heap]
            garbage
            """
        let chosen = StartupCodeShedder.readOnlyMappings(of: "/usr/sbin/sentry-agent", in: maps)
        #expect(chosen.map(\.start) == [0x55d0_c000_0000, 0x55d0_c020_0000])
        #expect(chosen.map(\.end) == [0x55d0_c020_0000, 0x55d0_c100_0000])
    }

    @Test(
        "a settled agent's binary is mostly no longer resident, and the agent still runs and stops cleanly",
        .enabled(if: FollowerCrashTests.agentBinary != nil, "needs the sentry-agent binary (swift build --build-tests)")
    )
    func settledAgentGivesBackItsCode() async throws {
        let binary = try #require(FollowerCrashTests.agentBinary)
        let directory = try TemporaryDirectory()
        let (agent, logText) = try Self.startAgent(binary, in: directory)
        defer {
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
        }

        // Resident size of the binary's own mappings, sampled while the agent runs its start (the largest sample is
        // the figure compared: the last ones may already follow the shedding, which is logged just after),
        var beforeShedding = 0
        try await waitUntil("the agent gives back its start-up code", timeout: .seconds(40)) {
            if logText().contains("start-up code given back") { return true }
            if agent.isRunning, let resident = Self.residentKiB(of: binary, pid: agent.processIdentifier) {
                beforeShedding = max(beforeShedding, resident)
            }
            return !agent.isRunning
        }
        try #require(agent.isRunning, "the agent ended: \(logText())")
        let afterShedding = try #require(Self.residentKiB(of: binary, pid: agent.processIdentifier))

        // is less than half of it once the start-up code is given back,
        #expect(beforeShedding > 0)
        #expect(afterShedding * 2 < beforeShedding, "binary resident \(beforeShedding) KiB before, \(afterShedding) KiB after")
        // and the agent goes on: it stops cleanly on SIGTERM, running its shutdown code read back from the binary.
        kill(agent.processIdentifier, SIGTERM)
        try await waitUntil("the agent stops", timeout: .seconds(20)) { !agent.isRunning }
        #expect(agent.terminationStatus == 0, "\(logText())")
    }

    @Test(
        "an agent stopped while it settles stops at once, giving nothing back",
        .enabled(if: FollowerCrashTests.agentBinary != nil, "needs the sentry-agent binary (swift build --build-tests)")
    )
    func stopWhileSettling() async throws {
        let binary = try #require(FollowerCrashTests.agentBinary)
        let directory = try TemporaryDirectory()
        let (agent, logText) = try Self.startAgent(binary, in: directory)
        defer {
            if agent.isRunning { kill(agent.processIdentifier, SIGKILL) }
        }
        try await waitUntil("the agent listens", timeout: .seconds(20)) { logText().contains("listening") || !agent.isRunning }

        // Stopped well inside the 10 s settle time: the stop must not wait for it (it did, and stalled every test
        // that stopped an agent it had just started).
        kill(agent.processIdentifier, SIGTERM)
        try await waitUntil("the agent stops", timeout: .seconds(20)) { !agent.isRunning }
        #expect(agent.terminationStatus == 0, "\(logText())")
        #expect(logText().contains("stopped"), "\(logText())")
        #expect(!logText().contains("start-up code given back"), "the stop waited for the settle time: \(logText())")
    }

    /// `sentry-agent run` with nothing to detect, its output in a file in `directory`; the process and a reader of that file.
    static func startAgent(_ binary: String, in directory: TemporaryDirectory) throws -> (Process, () -> String) {
        let config = directory.file("agent.yml")
        let log = directory.file("agent.log")
        try StateDirectoryLockTests.configuration(state: directory.file("state")).write(toFile: config, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: binary)
        agent.arguments = ["run", "--config", config]
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        agent.standardOutput = output
        agent.standardError = output
        try agent.run()
        return (agent, { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" })
    }

    /// The summed `Rss:` of `pid`'s mappings of `binary`, from `/proc/PID/smaps`.
    static func residentKiB(of binary: String, pid: Int32) -> Int? {
        guard let smaps = try? String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8) else { return nil }
        var total = 0
        var inBinary = false
        for line in smaps.split(separator: "\n") {
            let head = line.prefix { $0 != " " }
            if head.contains("-"), !head.hasSuffix(":") {
                inBinary = line.hasSuffix(" " + binary)
            } else if inBinary, line.hasPrefix("Rss:") {
                total += Int(line.split(separator: " ")[1]) ?? 0
            }
        }
        return total
    }
}
