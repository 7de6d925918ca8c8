import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

extension HubProcessTests {
    /// Everything at once: a log line written to a file, the real `sentry-agent` (dry run) detecting it, the hub
    /// relaying it to the fake Telegram, a button press, the sealed command executed by the agent, and the outcome shown.
    @Suite("Full pipeline", .serialized)
    struct FullPipelineTests {
        static var agentBinary: String {
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sentry-agent").path
        }

        @Test(
            "nginx 404 burst in a log → Telegram message → press → agent runs the block (dry run) → message shows it",
            .enabled(if: FileManager.default.isExecutableFile(atPath: agentBinary), "needs the sentry-agent binary (swift build --build-tests)")
        )
        func logLineToOutcome() async throws {
            try await FakeTelegramServer.withServer { telegram in
                let (harness, key, agentPort) = try await HubHarness.makeForOneAgent(telegram: telegram)
                defer { harness.cleanUp() }
                let hub = try await harness.start()

                let agentState = harness.stateDirectory + "/agent"
                let accessLog = harness.stateDirectory + "/access.log"
                _ = FileManager.default.createFile(atPath: accessLog, contents: nil)
                let agentConfig = """
                    agent: {id: web-1, hostname: web-1, state_dir: \(agentState)}
                    hub: {url: '\(hub.endpoint)', key: '\(key.base64)'}
                    listen: {host: 127.0.0.1, port: \(agentPort)}
                    detectors:
                      ssh: {sessions: false, brute_force: false}
                      cpu: {enabled: false}
                      listeners: {enabled: false}
                      identity: {enabled: false}
                      http404: {paths: ['\(accessLog)']}
                    """
                let (agent, agentLog) = try harness.startAgent(
                    yaml: agentConfig, arguments: ["--dry-run", "--log-level", "trace", "--log-format", "json"])
                defer {
                    agent.terminate()
                    agent.waitUntilExit()
                }
                // Ready once the follower has checkpointed its position at the end of the (empty) access log: lines
                // written after that are read.
                try await waitUntil("the agent follows the access log") {
                    FileManager.default.fileExists(atPath: agentState + "/positions/http404.json") || !agent.isRunning
                }
                #expect(agent.isRunning, "sentry-agent exited at start: see \(agentLog)")

                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: accessLog))
                let stamp = "22/Nov/2026:04:00:00 +0000"
                for number in 1...25 {
                    handle.write(Data("203.0.113.77 - - [\(stamp)] \"GET /probe-\(number).php HTTP/1.1\" 404 153 \"-\" \"scanner\"\n".utf8))
                }
                try handle.close()

                let shown = try await telegram.waitUntil(timeout: .seconds(30)) { $0.botMessages(in: HubHarness.chatID).first }
                #expect(shown.text.contains("203.0.113.77"))
                try await telegram.pressButton(
                    chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                let edited = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                    server.message(in: HubHarness.chatID, id: shown.messageID).flatMap { $0.text.contains("Chosen by") ? $0 : nil }
                }
                #expect(edited.text.contains("Block 1 h: done"))
                #expect(edited.text.contains("dry run: blocked 203.0.113.77 for 1h"))
                #expect(await telegram.specViolations.isEmpty)
                await hub.stop()
                agent.terminate()
                await ProgramRun.waitForExit(agent)

                // A whole run at trace level: the log has content, but never the key or a message body.
                let log = try String(contentsOfFile: agentLog, encoding: .utf8)
                #expect(log.contains("\"level\":\"trace\"") || log.contains("\"level\":\"info\""))
                #expect(!log.contains(key.base64))
                #expect(!log.contains(String(key.base64.prefix(16))))
                #expect(!log.contains("Chosen by"))
            }
        }
    }
}
