import FlyingSocks
import Foundation
import Shared
import Testing

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

/// Tests that start hubs as processes or flood one: run one at a time so they do not starve each other's timeouts.
@Suite("Hub processes and load", .serialized)
enum HubProcessTests {}

/// The real `bothub` binary, killed with SIGKILL between an alert and the operator's press, then started again.
extension HubProcessTests {
    @Suite("Hub restart survival", .serialized)
    struct HubRestartTests {
        /// `bothub`, built beside this test bundle by `swift build --build-tests`.
        static var binary: String {
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bothub").path
        }

        static func freePort() throws -> UInt16 {
            let socket = try Socket(domain: AF_INET, type: .stream)
            defer { try? socket.close() }
            try socket.bind(to: sockaddr_in.inet(ip4: "127.0.0.1", port: 0))
            guard case .ip4(_, let port) = try socket.sockname() else { return 0 }
            return port
        }

        /// Starts `bothub run` and waits until its intake answers. `installed`: a copy of the binary alone in a
        /// directory, run from `/` with the built-in catalogs, as the README installs it.
        static func startHub(config: String, port: UInt16, installed: InstalledHub? = nil) async throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: installed?.binary ?? binary)
            process.arguments = ["run", "--config", config, "--log-level", "trace"]
            if let installed {
                process.currentDirectoryURL = URL(fileURLWithPath: installed.workingDirectory)
            } else {
                process.arguments? += ["--translations", repositoryPath("translations")]
            }
            process.standardOutput = FileHandle.nullDevice
            let log = config + ".log"
            if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            handle.seekToEndOfFile()
            process.standardError = handle
            try process.run()
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
            for _ in 0..<200 {
                if let response = try? await HTTPClient(timeout: .seconds(1)).send(HTTPRequest(method: "GET", target: "/healthz"), to: endpoint),
                    response.status == 200
                {
                    return process
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            process.terminate()
            throw HarnessError(description: "bothub did not start listening on \(port)")
        }

        @Test(
            "killed between alert and press: after a restart the button works, the update is handled once, the alert shown once",
            .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the bothub binary (swift build --build-tests)")
        )
        func sigkillBetweenAlertAndPress() async throws {
            let agent = FakeAgent()
            try await agent.start()
            defer { Task { await agent.stop() } }
            try await FakeTelegramServer.withServer { telegram in
                let port = try Self.freePort()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await agent.entry], port: port)
                defer { harness.cleanUp() }
                let configPath = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)

                let first = try await Self.startHub(config: configPath, port: port)
                let alert = HubEndToEndTests.sshAlert()
                let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: agent.key)
                _ = try await client.post("/alert", body: try WireCoding.encode(alert))
                let shown = try await telegram.waitUntil(timeout: .seconds(30)) { $0.botMessages(in: HubHarness.chatID).first }
                // Kill only once the hub has recorded the message id: a kill between Telegram accepting the message
                // and that write sends the message again after the restart (the documented at-least-once window),
                // which is not what this test is about.
                let store = try HubStore.open(path: harness.stateDirectory + "/hub.sqlite")
                let recordDeadline = ContinuousClock.now + .seconds(30)
                while try store.messageID(alertID: alert.id.uuidString, chatID: HubHarness.chatID) == nil {
                    guard ContinuousClock.now < recordDeadline else { throw HarnessError(description: "the hub never recorded the message id") }
                    try await Task.sleep(for: .milliseconds(10))
                }

                kill(first.processIdentifier, SIGKILL)
                first.waitUntilExit()
                #expect(first.terminationReason == .uncaughtSignal)

                let query = try await telegram.pressButton(
                    chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Kill session")
                let second = try await Self.startHub(config: configPath, port: port)
                defer {
                    second.terminate()
                    second.waitUntilExit()
                }
                let edited = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                    server.message(in: HubHarness.chatID, id: shown.messageID).flatMap { $0.text.contains("Chosen by @bob") ? $0 : nil }
                }
                #expect(edited.text.contains("Kill session: done"))
                #expect(await agent.commands.map(\.action) == [.killSession(pid: 999, startTime: 12_345)])

                // The same alert delivered again (the agent retrying after the crash) is not shown twice.
                _ = try await client.post("/alert", body: try WireCoding.encode(alert))
                try await Task.sleep(for: .milliseconds(300))
                #expect(await telegram.calls(to: "sendMessage").filter(\.succeeded).count == 1)
                #expect(await telegram.answeredCallbacks.filter { $0.queryID == query }.count == 1)

                // A graceful stop confirms the offset: nothing is redelivered to the next start.
                second.terminate()
                second.waitUntilExit()
                #expect(await telegram.pendingUpdateCount == 0)
                let third = try await Self.startHub(config: configPath, port: port)
                try await Task.sleep(for: .milliseconds(1500))
                third.terminate()
                third.waitUntilExit()
                #expect(await agent.commands.count == 1, "no update was handled twice")

                // Three runs at trace level: neither the bot token nor the agent key appears in the hub's log.
                let log = try String(contentsOfFile: configPath + ".log", encoding: .utf8)
                #expect(log.contains("listening"))
                #expect(!log.contains(telegram.token))
                #expect(!log.contains(String(telegram.token.split(separator: ":").last ?? "")))
                #expect(!log.contains(agent.key.base64))
                #expect(await telegram.specViolations.isEmpty)
            }
        }
    }
}
