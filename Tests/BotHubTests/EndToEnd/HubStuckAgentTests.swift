import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

/// The real `bothub` binary with an agent that accepts a command and never answers: killed mid-dispatch, and running
/// beside another agent's presses.
extension HubProcessTests {
    @Suite("Hub with a stuck agent", .serialized, .system)
    struct HubStuckAgentTests {
        static var binary: String { HubRestartTests.binary }

        static func alert(agent: String, ip: String) -> Alert {
            Alert(
                agent: agent,
                hostname: agent,
                kind: .sshSession,
                severity: .warning,
                observedAt: Date(),
                subject: .sshSession(SSHSessionEvidence(user: "root", ip: ip, port: 41_000, method: "password", pid: 999, pidStartTime: 12_345)),
                actions: [.acknowledge, .killSession, .blockIP1h]
            )
        }

        /// Prints the hub's log when a test fails, so a flake can be read afterwards.
        static func withLog<T>(_ path: String, _ body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch {
                print("--- bothub log (\(path)) ---\n" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "(none)"))
                throw error
            }
        }

        @Test(
            "killed while the agent holds its command: the restarted hub sends the same command again and shows the outcome",
            .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the bothub binary (swift build --build-tests)")
        )
        func sigkillMidDispatch() async throws {
            let agent = FakeAgent()
            try await agent.start()
            defer { Task { await agent.stop() } }
            try await FakeTelegramServer.withServer { telegram in
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await agent.entry], port: port)
                defer { harness.cleanUp() }
                let configPath = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
                try await Self.withLog(configPath + ".log") {
                    let first = try await HubRestartTests.startHub(config: configPath, port: port)
                    let alert = Self.alert(agent: "web-1", ip: "203.0.113.50")
                    let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: agent.key)
                    _ = try await client.post("/alert", body: try WireCoding.encode(alert))
                    let shown = try await telegram.waitUntil(timeout: .seconds(30)) { $0.botMessages(in: HubHarness.chatID).first }

                    // Given an agent that takes the command and does not answer
                    await agent.hold()
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                    let deadline = ContinuousClock.now + .seconds(30)
                    while await agent.commands.isEmpty {
                        guard ContinuousClock.now < deadline else { throw HarnessError(description: "the command never reached the agent") }
                        try await Task.sleep(for: .milliseconds(10))
                    }

                    // When the hub is killed mid-dispatch and started again (the agent now answers)
                    kill(first.processIdentifier, SIGKILL)
                    await ProgramRun.waitForExit(first)
                    #expect(first.terminationReason == .uncaughtSignal)
                    await agent.release()
                    let second = try await HubRestartTests.startHub(config: configPath, port: port)
                    defer {
                        second.terminate()
                        second.waitUntilExit()
                    }

                    // Then the same command reaches the agent again and the message shows how it ended
                    let edited = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                        server.message(in: HubHarness.chatID, id: shown.messageID).flatMap { $0.text.contains("Block 1 h: done") ? $0 : nil }
                    }
                    #expect(edited.text.contains("Chosen by @bob"))
                    let commands = await agent.commands
                    #expect(commands.count == 2)
                    #expect(Set(commands.map(\.id)).count == 1, "sent again with the same command id")

                    // And the alert is not stuck: its next button (Unblock) reaches the agent
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Unblock 203.0.113.50")
                    _ = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                        server.message(in: HubHarness.chatID, id: shown.messageID).flatMap {
                            $0.text.contains("Unblock 203.0.113.50: done") ? $0 : nil
                        }
                    }
                    #expect(await agent.commands.last?.action == .unblockIP(ip: "203.0.113.50"))
                }
            }
        }

        @Test(
            "SIGTERM while an agent holds a command: the hub exits within its shutdown bound",
            .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the bothub binary (swift build --build-tests)")
        )
        func sigtermWhileStuck() async throws {
            let agent = FakeAgent()
            try await agent.start()
            defer { Task { await agent.stop() } }
            try await FakeTelegramServer.withServer { telegram in
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await agent.entry], port: port)
                defer { harness.cleanUp() }
                let configPath = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
                try await Self.withLog(configPath + ".log") {
                    let hub = try await HubRestartTests.startHub(config: configPath, port: port)
                    let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: agent.key)
                    _ = try await client.post("/alert", body: try WireCoding.encode(Self.alert(agent: "web-1", ip: "203.0.113.53")))
                    let shown = try await telegram.waitUntil(timeout: .seconds(30)) { $0.botMessages(in: HubHarness.chatID).first }

                    // Given a press whose agent took the command and never answers
                    await agent.hold()
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                    try await waitUntil("the command reached the agent") { await !agent.commands.isEmpty }

                    // When the hub is told to stop
                    let stopping = ContinuousClock.now
                    kill(hub.processIdentifier, SIGTERM)
                    try await waitUntil("the hub exited", timeout: .seconds(60), poll: .milliseconds(50)) { !hub.isRunning }
                    let took = ContinuousClock.now - stopping
                    print("hub exit after SIGTERM with a stuck agent: \(took)")
                    await agent.release()

                    // Then it exits within the graceful and cancellation bounds, not after the agent's 15 s timeout
                    #expect(took < HubRuntime.shutdownGrace + HubRuntime.cancellationGrace, "exited after \(took)")
                }
            }
        }

        @Test(
            "an agent that never answers does not delay a press on another agent's alert",
            .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the bothub binary (swift build --build-tests)")
        )
        func stuckAgentDoesNotStallOthers() async throws {
            let stuck = FakeAgent(id: "web-1")
            let responsive = FakeAgent(id: "web-2")
            try await stuck.start()
            try await responsive.start()
            defer {
                Task {
                    await stuck.stop()
                    await responsive.stop()
                }
            }
            try await FakeTelegramServer.withServer { telegram in
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await stuck.entry, await responsive.entry], port: port)
                defer { harness.cleanUp() }
                let configPath = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
                try await Self.withLog(configPath + ".log") {
                    let hub = try await HubRestartTests.startHub(config: configPath, port: port)
                    defer {
                        hub.terminate()
                        hub.waitUntilExit()
                    }
                    let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
                    _ = try await SealedClient(endpoint: endpoint, agentID: "web-1", key: stuck.key)
                        .post("/alert", body: try WireCoding.encode(Self.alert(agent: "web-1", ip: "203.0.113.51")))
                    _ = try await SealedClient(endpoint: endpoint, agentID: "web-2", key: responsive.key)
                        .post("/alert", body: try WireCoding.encode(Self.alert(agent: "web-2", ip: "203.0.113.52")))
                    let shown = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                        let messages = server.botMessages(in: HubHarness.chatID)
                        return messages.count == 2 ? messages : nil
                    }
                    let onStuck = try require(shown.first { $0.text.contains("203.0.113.51") })
                    let onResponsive = try require(shown.first { $0.text.contains("203.0.113.52") })

                    // Given a press whose agent took the command and never answers
                    await stuck.hold()
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: onStuck.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                    let deadline = ContinuousClock.now + .seconds(30)
                    while await stuck.commands.isEmpty {
                        guard ContinuousClock.now < deadline else { throw HarnessError(description: "the command never reached the stuck agent") }
                        try await Task.sleep(for: .milliseconds(10))
                    }

                    // When another agent's alert is pressed
                    let pressed = ContinuousClock.now
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: onResponsive.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                    _ = try await telegram.waitUntil(timeout: .seconds(30)) { server in
                        server.message(in: HubHarness.chatID, id: onResponsive.messageID).flatMap { $0.text.contains("Block 1 h: done") ? $0 : nil }
                    }
                    let latency = ContinuousClock.now - pressed
                    print("outcome of a press on a responsive agent while another agent is stuck: \(latency)")

                    // Then its outcome shows at once (the stuck dispatch would hold it for the 15 s timeout)
                    #expect(latency < .seconds(1), "outcome after \(latency)")
                    #expect(await responsive.commands.map(\.action) == [.blockIP(ip: "203.0.113.52", durationSeconds: 3600)])
                    await stuck.release()
                }
            }
        }
    }
}
