import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Two agents on one state directory would interleave outbox records and log positions: the second must refuse.
@Suite("One agent per state directory", .serialized, .system)
struct StateDirectoryLockTests {
    static func temporaryDirectory() throws -> String {
        try TemporaryDirectory.forTestRun("vigil-lock")
    }

    /// An agent with nothing to detect and nothing to run, listening on a free loopback port.
    static func configuration(state: String) -> String {
        """
        agent:
          id: web-1
          state_dir: \(state)
        hub:
          url: http://127.0.0.1:9
          key: "\(AgentKey.generate().base64)"
        listen:
          host: 127.0.0.1
          port: 0
        responses:
          block_ip: false
          kill_session: false
        detectors:
          ssh: {sessions: false, brute_force: false}
          cpu: {enabled: false}
          listeners: {enabled: false}
          identity: {enabled: false}
          http404: {enabled: false}
        """
    }

    @Test(
        "a second `sentry-agent run` on the same state directory exits non-zero naming the first one's pid",
        .enabled(if: FollowerCrashTests.agentBinary != nil, "needs the sentry-agent binary (swift build --build-tests)")
    )
    func secondAgentRefused() async throws {
        let binary = try #require(FollowerCrashTests.agentBinary)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state"
        let config = directory + "/agent.yml"
        try Self.configuration(state: state).write(toFile: config, atomically: true, encoding: .utf8)

        let first = Process()
        first.executableURL = URL(fileURLWithPath: binary)
        first.arguments = ["run", "--config", config]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer {
            first.terminate()
            first.waitUntilExit()
        }
        // The positive signal that the first agent holds the lock: its pid in the lock file.
        let deadline = ContinuousClock.now + .seconds(20)
        while (try? String(contentsOfFile: state + "/lock", encoding: .utf8)) != "\(first.processIdentifier)\n" {
            guard ContinuousClock.now < deadline, first.isRunning else {
                Issue.record("the first agent never wrote its pid into \(state)/lock")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }

        let second = Process()
        second.executableURL = URL(fileURLWithPath: binary)
        second.arguments = ["run", "--config", config]
        let pipe = Pipe()
        second.standardOutput = pipe
        second.standardError = pipe
        try second.run()
        // Without the lock the second agent would run on: stop it so the test fails instead of hanging.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { if second.isRunning { second.terminate() } }
        let output = await offPool {
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            second.waitUntilExit()
            return output
        }
        #expect(second.terminationStatus != 0)
        #expect(output.contains("pid \(first.processIdentifier)"), "\(output)")
        #expect(output.contains(state), "\(output)")
        #expect(first.isRunning, "the first agent is untouched")
    }

    @Test("the lock is released when its holder goes, so a restarted agent starts")
    func lockReleased() throws {
        let state = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        var first: StateDirectoryLock? = try StateDirectoryLock(stateDirectory: state, program: "sentry-agent")
        #expect(first != nil)
        let refusal = try #require(throws: StateDirectoryLock.Failure.self) {
            try StateDirectoryLock(stateDirectory: state, program: "sentry-agent")
        }
        #expect(refusal.description.contains("pid \(getpid())"))
        first = nil
        _ = try StateDirectoryLock(stateDirectory: state, program: "sentry-agent")
    }

    @Test(
        "`sentry-agent --version` prints the version the heartbeats carry",
        .enabled(if: FollowerCrashTests.agentBinary != nil, "needs the sentry-agent binary (swift build --build-tests)")
    )
    func version() async throws {
        let output = try await ProgramRun.run([try #require(FollowerCrashTests.agentBinary), "--version"]).output
        #expect(output == "\(VigilVersion.current)\n")
        #expect(AgentRuntime.version == VigilVersion.current)
    }
}
