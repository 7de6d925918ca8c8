import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// After the fleet view's "Yes, upgrade": each host's `upgrade_finished` is shown in the fleet message, and a hub
/// stopped mid-dispatch sends the unanswered commands again at its next start. A whole hub against the fake Bot API
/// and fake agents.
@Suite("Fleet upgrade end and recovery", .serialized, .system)
struct FleetUpgradeEndTests {
    static let opensslPlan = VulnsEndToEndTests.opensslPlan

    /// An agent's `upgrade_finished`, as its upgrade runner sends it for a command from the fleet view (no alert).
    static func end(of commandID: UUID, agent: String, outcome: ResponseResult.Outcome, installed: [String], tail: String? = nil) -> Alert {
        Alert(
            agent: agent, hostname: agent, kind: .upgradeFinished, severity: outcome == .done ? .info : .warning, observedAt: Date(),
            subject: .upgradeFinished(
                UpgradeFinishedEvidence(commandId: commandID, alertId: nil, outcome: outcome, installed: installed, outputTail: tail)),
            actions: [])
    }

    /// Posts `alert` to the hub's sealed `/alert` route as `agent` would.
    static func deliver(_ alert: Alert, from agent: FakeAgent, to endpoint: HTTPEndpoint) async throws {
        let client = SealedClient(endpoint: endpoint, agentID: agent.id, key: agent.key)
        _ = try await client.post("/alert", body: try WireCoding.encode(alert))
    }

    @Test("each host's end replaces its line in the fleet message, no new message is sent; an end no fleet upgrade sent goes out alone")
    func endsAreFolded() async throws {
        try await VulnsEndToEndTests.withFleet { agents, telegram, runtime, endpoint in
            // Given a confirmed fleet upgrade whose hosts answered "started"
            try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.admin.id, text: "/vulns")
            let view = try await telegram.waitUntil { server in
                server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Known vulnerabilities") ? $0 : nil }
            }
            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id,
                label: "Upgrade on all 2: CVE-2024-0001 openssl")
            _ = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageID).flatMap { $0.text.contains("Simulated plans") ? $0 : nil }
            }
            for agent in agents { await agent.answer(.started, detail: "upgrading: 2 packages upgraded, 0 new, 0 removed") }
            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id, label: "Yes, upgrade")
            let started = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageID).flatMap { $0.text.contains("chosen by") ? $0 : nil }
            }
            #expect(started.text.contains("web-1: started: upgrading: 2 packages upgraded, 0 new, 0 removed"), "\(started.text)")
            let sentBefore = await telegram.botMessages(in: HubHarness.chatID).count
            let web1 = try #require(await agents[0].commands.last?.id)
            let web2 = try #require(await agents[1].commands.last?.id)

            // When web-1's upgrade ends done and web-2's fails, each through the hub's alert intake
            let done = Self.end(
                of: web1, agent: "web-1", outcome: .done, installed: ["libssl3 3.0.16-1~deb12u1", "openssl 3.0.16-1~deb12u1"])
            let failed = Self.end(
                of: web2, agent: "web-2", outcome: .failed(reason: "apt-get exited with status 100"), installed: [],
                tail: "E: Could not get lock /var/lib/dpkg/lock-frontend")
            try await Self.deliver(done, from: agents[0], to: endpoint)
            try await Self.deliver(failed, from: agents[1], to: endpoint)

            // Then the fleet message shows both ends, in place of "started"
            let ended = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageID).flatMap {
                    $0.text.contains("web-1: ✅") && $0.text.contains("web-2: ❌") ? $0 : nil
                }
            }
            #expect(
                ended.text.contains("web-1: ✅ Upgrade done; now installed: libssl3 3.0.16-1~deb12u1, openssl 3.0.16-1~deb12u1"),
                "\(ended.text)")
            #expect(ended.text.contains("web-2: ❌ Upgrade failed (apt-get exited with status 100)"))
            #expect(ended.text.contains("E: Could not get lock /var/lib/dpkg/lock-frontend"))
            #expect(ended.text.contains("Upgrade CVE-2024-0001 openssl, chosen by"))
            #expect(!ended.text.contains("started"), "\(ended.text)")

            // And both alerts are recorded as shown in that message, with no message of their own
            for alert in [done, failed] {
                try await waitUntil("the end is recorded as shown in the fleet message") {
                    try await runtime.store.messageID(alertID: alert.id.uuidString, chatID: HubHarness.chatID) == view.messageID
                }
            }
            #expect(await telegram.botMessages(in: HubHarness.chatID).count == sentBefore)

            // An end for a command no fleet upgrade sent is shown as a message of its own, as before
            let stray = Self.end(of: UUID(), agent: "web-1", outcome: .done, installed: ["curl 8.0"])
            try await Self.deliver(stray, from: agents[0], to: endpoint)
            let alone = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.botMessages(in: HubHarness.chatID).count > sentBefore ? server.botMessages(in: HubHarness.chatID).last : nil
            }
            #expect(alone.text.contains("curl 8.0"), "\(alone.text)")
            #expect(await telegram.specViolations.isEmpty)
        }
    }

    @Test(
        "a fleet upgrade recorded but not answered (the hub stopped mid-dispatch) is sent again at the next start with the same command ids, and its message shows the outcomes"
    )
    func interruptedUpgradeIsRecovered() async throws {
        let agents = [FakeAgent(id: "web-1"), FakeAgent(id: "web-2")]
        for agent in agents {
            try await agent.start()
            await agent.answer(.started, detail: "upgrading: 2 packages upgraded, 0 new, 0 removed")
        }
        atTestEnd { [agents] in for agent in agents { await agent.stop() } }
        var entries: [HubConfiguration.AgentEntry] = []
        for agent in agents { entries.append(await agent.entry) }
        try await FakeTelegramServer.withServer { [entries] telegram in
            let hub = try await HubHarness.make(telegram: telegram, agents: entries)
            defer { hub.cleanUp() }

            // Given the fleet view's message, and a confirmed fleet upgrade recorded while no hub ran (so that no
            // start-up recovery but the ones below can see it)
            let first = try await hub.start()
            let telegramAPI = try #require(first.runtime.choices?.telegram)
            let view = try await telegramAPI.sendMessage(chatID: HubHarness.chatID, html: "Known vulnerabilities (fleet view)", keyboard: [])
            await first.stop()
            let chosenAt = Date().addingTimeInterval(-30)
            let requester = Operator(telegramUserId: HubHarness.admin.id, name: "@alice")
            let run = FleetUpgradeRun(
                id: UUID().uuidString, chatID: HubHarness.chatID, messageID: view.messageId, label: "CVE-2024-0001 openssl", chosenBy: "@alice",
                chosenAt: chosenAt, revision: 0,
                hosts: agents.map {
                    FleetUpgradeRun.Host(
                        agent: $0.id,
                        command: ResponseCommand(
                            alertId: nil,
                            action: .upgradePackages(pins: ["openssl=3.0.16-1~deb12u1"], planHash: Self.opensslPlan.hash, simulate: false),
                            requestedBy: requester, issuedAt: chosenAt, expiresAt: chosenAt.addingTimeInterval(600)),
                        state: .sent)
                })
            let store = try HubStore.open(path: hub.stateDirectory + "/hub.sqlite")
            try store.recordFleetUpgradeRun(run, now: Date())

            // When a hub starts, sends both commands again, and is stopped before either agent answers
            for agent in agents { await agent.hold() }
            let second = try await hub.start()
            for agent in agents {
                let deadline = ContinuousClock.now + .seconds(15)
                while await agent.commands.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            }
            await second.stop()
            // Then the cut-short sends are no answers: both hosts are still waiting for one
            #expect(try store.fleetUpgradeRun(id: run.id)?.hosts.map(\.state) == [.sent, .sent])

            // When the agents answer and the hub starts again
            for agent in agents { await agent.release() }
            let third = try await hub.start()
            let recovered = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageId).flatMap { $0.text.contains("started: upgrading") ? $0 : nil }
            }

            // Then each agent got only its recorded command, under its one id, and the message shows what each answered
            for (agent, host) in zip(agents, run.hosts) {
                #expect(await agent.commands.map(\.id) == [host.command.id, host.command.id])
            }
            #expect(recovered.text.contains("web-1: started: upgrading: 2 packages upgraded, 0 new, 0 removed"), "\(recovered.text)")
            #expect(recovered.text.contains("web-2: started: upgrading: 2 packages upgraded, 0 new, 0 removed"))
            #expect(try store.fleetUpgradeRun(id: run.id)?.hosts.map(\.state) == [.answered, .answered])
            let audit = try third.runtime.store.auditEntries(since: .distantPast)
            #expect(audit.filter { $0.event == "command" && $0.detail.hasSuffix("(sent again after a restart)") }.count == 4, "\(audit)")

            // And a further recovery finds nothing left to send
            let again = try #require(third.runtime.choices)
            #expect(await FleetUpgradeChoices(handler: again).recoverInterruptedUpgrades() == 0)
            for agent in agents { #expect(await agent.commands.count == 2) }
            await third.stop()
        }
    }
}
