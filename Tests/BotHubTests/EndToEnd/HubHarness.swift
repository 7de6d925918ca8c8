import Foundation
import Logging
import ServiceLifecycle
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// A whole hub in this process (its real HTTP intake, SQLite store, notifier, poller and choices) talking to the fake
/// Telegram server and to fake agents over loopback.
struct HubHarness {
    static let chatID: Int64 = -1_001_000_000_001
    static let admin = FakeTelegramUser(id: 1111, firstName: "Alice", username: "alice")
    static let viewer = FakeTelegramUser(id: 2222, firstName: "Bob", username: "bob")
    static let stranger = FakeTelegramUser(id: 6666, firstName: "Mallory", username: "mallory")

    /// Warnings and worse only: a flood test would otherwise print a line per alert.
    static var quietLogger: Logger {
        var logger = Logger(label: "hub")
        logger.logLevel = .warning
        return logger
    }

    let stateDirectory: String
    let configuration: HubConfiguration
    let telegram: FakeTelegramServer
    /// The configuration as written, for running the `bothub` binary with it.
    let yaml: String

    /// Writes a hub config pointing at `telegram` and `agents`, in a fresh state directory (or `stateDirectory`).
    static func make(
        telegram: FakeTelegramServer,
        agents: [HubConfiguration.AgentEntry],
        stateDirectory: String? = nil,
        port: UInt16 = 0,
        extra: String = "",
        otherChats: String = ""
    ) async throws -> HubHarness {
        let state = try stateDirectory ?? TemporaryDirectory.forTestRun("vigil-e2e")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        await telegram.addChat(chatID)
        for user in [admin, viewer, stranger] { await telegram.addUser(user) }
        let agentLines = agents.map {
            "  - id: \($0.id)\n    url: \($0.responseEndpoint)\n    key: \"\($0.key.base64)\""
        }.joined(separator: "\n")
        let yaml = """
            hub:
              state_dir: \(state)
            listen:
              host: 127.0.0.1
              port: \(port)
            telegram:
              token: "\(telegram.token)"
              api_url: \(await telegram.baseURL)
            \(extra)
              chats:
                - id: \(chatID)
                  operators:
                    - {id: \(admin.id), name: alice, role: admin}
                    - {id: \(viewer.id), name: bob, role: operator}
            \(otherChats)
            agents:
            \(agentLines)
            """
        return HubHarness(
            stateDirectory: state, configuration: try HubConfiguration.parse(yaml: yaml, environment: [:]), telegram: telegram, yaml: yaml)
    }

    /// Runs the hub until `body` returns; gives `body` the runtime (for its port and store).
    func run<T: Sendable>(_ body: @Sendable (HubRuntime, HTTPEndpoint) async throws -> T) async throws -> T {
        let hub = try await start()
        do {
            let result = try await body(hub.runtime, hub.endpoint)
            await hub.stop()
            return result
        } catch {
            await hub.stop()
            throw error
        }
    }

    /// A hub started by `start()`, stopped gracefully by `stop()`.
    struct RunningHub {
        let runtime: HubRuntime
        let endpoint: HTTPEndpoint
        let group: ServiceGroup
        let task: Task<Void, any Error>

        /// Graceful shutdown; if the services have not stopped after 10 s the group is cancelled, so a stuck
        /// service fails its test instead of hanging the whole suite.
        func stop() async {
            await group.triggerGracefulShutdown()
            let task = task
            let watchdog = Task {
                try await Task.sleep(for: .seconds(10))
                Issue.record("the hub did not stop within 10 s of a graceful shutdown")
                task.cancel()
            }
            _ = await task.result
            watchdog.cancel()
        }
    }

    /// Starts the hub and returns at once (for tests that restart it).
    func start(pollTimeout: Int = 1) async throws -> RunningHub {
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let token = try configuration.telegram.token.orThrow("the harness config has a token")
        var timing = HubRuntime.Timing()
        timing.pollTimeout = pollTimeout
        let runtime = try HubRuntime.make(
            configuration: configuration,
            catalogs: catalogs,
            telegram: TelegramClient(apiURL: configuration.telegram.apiURL, token: token),
            logger: Self.quietLogger,
            timing: timing
        )
        let group = ServiceGroup(configuration: runtime.groupConfiguration(handlesSignals: false, logger: Self.quietLogger))
        let task = Task { try await group.run() }
        let port = try await runtime.server.listeningPort()
        return RunningHub(runtime: runtime, endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), group: group, task: task)
    }

    func cleanUp() {
        if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_STATE"] == nil { try? FileManager.default.removeItem(atPath: stateDirectory) }
    }
}

func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw HarnessError(description: message) }
    return value
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

extension Optional {
    /// Unwraps or throws, for harness code outside of `#require`'s reach.
    func orThrow(_ message: String) throws -> Wrapped {
        try require(self, message)
    }
}

extension HubHarness {
    /// A hub configured for one agent, `web-1`, with a fresh key and a free loopback port for its responses.
    static func makeForOneAgent(telegram: FakeTelegramServer) async throws -> (harness: HubHarness, key: AgentKey, agentPort: UInt16) {
        let key = AgentKey.generate()
        let agentPort = try FreePort.loopback()
        let entry = HubConfiguration.AgentEntry(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: agentPort), key: key)
        return (try await make(telegram: telegram, agents: [entry]), key, agentPort)
    }

    /// Starts the real `sentry-agent run` (built beside the tests) with `yaml` as its configuration, written in the
    /// state directory with its log (`agent.log`); the caller terminates it.
    func startAgent(yaml: String, arguments: [String] = []) throws -> (process: Process, log: String) {
        try yaml.write(toFile: stateDirectory + "/agent.yml", atomically: true, encoding: .utf8)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: HubProcessTests.FullPipelineTests.agentBinary)
        agent.arguments = ["run", "--config", stateDirectory + "/agent.yml"] + arguments
        let log = stateDirectory + "/agent.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        agent.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try agent.run()
        return (agent, log)
    }
}
