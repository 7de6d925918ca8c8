import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent status`: what the state directory says, read without a hub and without changing anything.
@Suite("sentry-agent status", .serialized, .system)
struct StatusCommandTests {
    static func config(stateDirectory: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("agent.yml")
        try """
        agent: {id: web-1, state_dir: \(stateDirectory)}
        hub: {url: "http://127.0.0.1:9", key: "\(AgentKey.generate().base64)"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("outbox depth, each input's position against its file, and the pid holding state_dir/lock")
    func reportsTheStateDirectory() async throws {
        let directory = try TemporaryDirectory("vigil-status")
        let state = directory.file("state")
        // Given two alerts waiting for the hub, one acknowledged,
        let outbox = try AlertOutbox(directory: state + "/outbox", logger: Logger(label: "test"))
        let alerts = (0..<3).map { AlertOutboxTests.alert($0) }
        for alert in alerts { await outbox.submit(alert) }
        await outbox.acknowledge(alerts[0].id)
        // a saved position 100 bytes into a 150-byte log and one into a log that is gone,
        let log = directory.file("access.log")
        try String(repeating: "x", count: 150).write(toFile: log, atomically: true, encoding: .utf8)
        let position = FilePosition(device: 1, inode: 2, offset: 100, fingerprint: .empty)
        try FileFollowerStateStore(stateDirectory: state, source: "http404").save(
            FollowerState(files: [log: PathCheckpoint(current: position), directory.file("gone.log"): PathCheckpoint(current: position)]))
        // and this process holding the lock as a running agent would,
        let lock = open(state + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }

        let result = try await AgentCLI.run(["status", "--config", try Self.config(stateDirectory: state, in: directory)])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("agent process    running, pid \(getpid()) holds \(state)/lock"), "\(result.output)")
        #expect(result.output.contains("outbox           2 alerts waiting for the hub, oldest observed "))
        #expect(result.output.contains("  http404  \(log)  at 100 of 150 bytes\n"))
        #expect(result.output.contains("  http404  \(directory.file("gone.log"))  UNHEALTHY: No such file or directory\n"))
    }

    @Test("without a lock holder it says the agent is not running; a missing state directory is explained")
    func notRunning() async throws {
        let directory = try TemporaryDirectory("vigil-status-idle")
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let idle = try await AgentCLI.run(["status", "--config", try Self.config(stateDirectory: state, in: directory)])
        #expect(idle.output.contains("agent process    none holds \(state)/lock (not running)"))
        #expect(idle.output.contains("outbox           0 alerts waiting for the hub\n"))
        let absent = try await AgentCLI.run(["status", "--config", try Self.config(stateDirectory: state + "/never", in: directory)])
        #expect(absent.output == "state directory \(state)/never does not exist (has the agent run yet?)\n")
    }

    @Test("reading the status leaves the outbox files byte for byte as they were")
    func readsOnly() async throws {
        let directory = try TemporaryDirectory("vigil-status-ro")
        let state = directory.file("state")
        let outbox = try AlertOutbox(directory: state + "/outbox", logger: Logger(label: "test"))
        await outbox.submit(AlertOutboxTests.alert(1))
        let before = FileManager.default.contents(atPath: state + "/outbox/outbox.log")
        _ = try await AgentCLI.run(["status", "--config", try Self.config(stateDirectory: state, in: directory)])
        #expect(FileManager.default.contents(atPath: state + "/outbox/outbox.log") == before)
        #expect(!FileManager.default.fileExists(atPath: state + "/lock"))
    }
}
