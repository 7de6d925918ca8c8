import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// An agent's sealed inventory, the tracker feed from a local server, and `/vulns` answered through the fake Bot API.
@Suite("Known vulnerabilities end to end", .serialized, .system)
struct VulnsEndToEndTests {
    @Test("an inventory and the feed make /vulns, worst first, and /status names the feed")
    func vulnsInChat() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        let feed = FeedServer()
        feed.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        feed.kevAnswer = .conditional(Array(FeedUpdaterTests.kev.utf8), etag: "\"k1\"")
        try await feed.serve { url in
            try await FakeTelegramServer.withServer { telegram in
                let hub = try await HubHarness.make(telegram: telegram, agents: [await agent.entry])
                defer { hub.cleanUp() }
                let key = agent.key
                try await hub.run { runtime, endpoint in
                    let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: key)
                    _ = try await client.post("/inventory", body: try WireCoding.encode(FeedUpdaterTests.inventory()))
                    let updater = FeedUpdaterTests.updater(
                        url: url, store: runtime.store, directory: hub.stateDirectory + "/vulnerabilities", kev: true)
                    #expect(await updater.refresh() == .updated(advisories: FeedUpdaterTests.bookwormAdvisories))

                    try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/vulns")
                    let reply = try await telegram.waitUntil { server in
                        server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Known vulnerabilities") ? $0 : nil }
                    }
                    let lines = reply.text.split(separator: "\n").map(String.init)
                    // high (8) first, then the two mediums by CVE, then low, then unimportant.
                    #expect(lines.count >= 6)
                    #expect(lines[1] == "• CVE-2024-0001 openssl · high · 1 host · fix 3.0.16-1~deb12u1")
                    #expect(lines[2] == "• CVE-2024-0200 libssh · medium · 1 host · no fix yet")
                    #expect(lines[3] == "• CVE-2025-0001 glibc · medium · 1 host · fix 2.36-9+deb12u3+b1")
                    #expect(lines[4].hasPrefix("• CVE-2024-0005 openssl · low"))
                    #expect(reply.text.contains("• web-1: 5 CVEs (1 high)"))

                    #expect(await updater.refreshKnownExploited() == .updated(advisories: 2))
                    try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/status")
                    let status = try await telegram.waitUntil { server in
                        server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Vulnerability feed") ? $0 : nil }
                    }
                    #expect(status.text.contains("Vulnerability feed: 13 advisories for bookworm, checked "))
                    #expect(status.text.contains("Known-exploited list (CISA KEV): 2 CVEs, checked "), "\(status.text)")
                    #expect(await telegram.specViolations.isEmpty)
                }
            }
        }
    }

    /// The simulated plan each fake agent answers for openssl.
    static let opensslPlan = UpgradePlan(upgrades: [
        PlannedUpgrade(package: "libssl3", installed: "3.0.15-1~deb12u1", candidate: "3.0.16-1~deb12u1"),
        PlannedUpgrade(package: "openssl", installed: "3.0.15-1~deb12u1", candidate: "3.0.16-1~deb12u1"),
    ])

    @Test(
        "Upgrade on all 2: an operator is refused; the admin's first tap has each agent plan the source upgrade, the second sends each its exact pins and plan hash, and the message shows each host's outcome"
    )
    func fleetUpgrade() async throws {
        try await Self.withFleet { agents, telegram, _, _ in
            try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.admin.id, text: "/vulns")
            let view = try await telegram.waitUntil { server in
                server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Known vulnerabilities") ? $0 : nil }
            }
            let labels = view.keyboard.joined().map(\.text)
            #expect(labels.first == "Upgrade on all 2: CVE-2024-0001 openssl", "\(labels)")
            #expect(labels.contains("Upgrade all on web-1") && labels.contains("Upgrade all on web-2"))
            #expect(view.keyboard.joined().allSatisfy { ($0.callbackData?.utf8.count ?? 0) <= 64 })

            // Not for operators: nothing is sent.
            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.viewer.id,
                label: "Upgrade on all 2: CVE-2024-0001 openssl")
            _ = try await telegram.waitUntil { server in server.answeredCallbacks.last?.showAlert == true ? true : nil }
            for agent in agents { #expect(await agent.commands.isEmpty) }

            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id,
                label: "Upgrade on all 2: CVE-2024-0001 openssl")
            let plans = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageID).flatMap { $0.text.contains("Simulated plans") ? $0 : nil }
            }
            #expect(plans.text.contains("web-1: 2 packages upgraded, 0 new, 0 removed"), "\(plans.text)")
            #expect(plans.text.contains("web-2: 2 packages upgraded, 0 new, 0 removed"))
            #expect(plans.text.contains("libssl3 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1"))
            for agent in agents {
                #expect(
                    await agent.commands.map(\.action) == [
                        .planUpgrade(sources: [UpgradeFloor(source: "openssl", fixed: "3.0.16-1~deb12u1")])
                    ])
                await agent.answer(.started, detail: "upgrading: 2 packages upgraded, 0 new, 0 removed", plan: Self.opensslPlan)
            }
            let confirm = try #require(plans.keyboard.joined().first)
            #expect(confirm.text == "Yes, upgrade")

            // The viewer cannot confirm the admin's plans.
            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.viewer.id, label: "Yes, upgrade")
            _ = try await telegram.pressButton(
                chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id, label: "Yes, upgrade")
            let outcome = try await telegram.waitUntil(timeout: .seconds(15)) { server in
                server.message(in: HubHarness.chatID, id: view.messageID).flatMap { $0.text.contains("chosen by") ? $0 : nil }
            }
            #expect(outcome.text.contains("web-1: started: upgrading: 2 packages upgraded, 0 new, 0 removed"), "\(outcome.text)")
            #expect(outcome.text.contains("web-2: started: upgrading: 2 packages upgraded, 0 new, 0 removed"))
            #expect(outcome.keyboard.isEmpty)
            for agent in agents {
                let actions = await agent.commands.map(\.action)
                #expect(actions.count == 2)
                #expect(
                    actions.last
                        == .upgradePackages(
                            pins: ["libssl3=3.0.16-1~deb12u1", "openssl=3.0.16-1~deb12u1"], planHash: Self.opensslPlan.hash, simulate: false))
            }
            // The plans are used once: the same button again finds none pending.
            #expect(await telegram.specViolations.isEmpty)
        }
    }

    /// Two fake agents (web-1, web-2) answering openssl's plan, and a whole hub that has their inventories and the
    /// tracker fixture, behind the fake Bot API: where each fleet-upgrade test starts.
    static func withFleet(
        _ body:
            @Sendable (_ agents: [FakeAgent], _ telegram: FakeTelegramServer, _ runtime: HubRuntime, _ endpoint: HTTPEndpoint) async throws ->
            Void
    ) async throws {
        let agents = [FakeAgent(id: "web-1"), FakeAgent(id: "web-2")]
        for agent in agents { try await agent.start() }
        atTestEnd { [agents] in for agent in agents { await agent.stop() } }
        let feed = FeedServer()
        feed.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        var entries: [HubConfiguration.AgentEntry] = []
        for agent in agents { entries.append(await agent.entry) }
        try await feed.serve { [entries] url in
            try await FakeTelegramServer.withServer { telegram in
                let hub = try await HubHarness.make(telegram: telegram, agents: entries)
                defer { hub.cleanUp() }
                try await hub.run { runtime, endpoint in
                    for agent in agents {
                        let client = SealedClient(endpoint: endpoint, agentID: agent.id, key: agent.key)
                        _ = try await client.post("/inventory", body: try WireCoding.encode(FeedUpdaterTests.inventory(agent: agent.id)))
                        await agent.answer(.done, detail: "2 packages upgraded, 0 new, 0 removed", plan: Self.opensslPlan)
                    }
                    let updater = FeedUpdaterTests.updater(url: url, store: runtime.store, directory: hub.stateDirectory + "/vulnerabilities")
                    #expect(await updater.refresh() == .updated(advisories: FeedUpdaterTests.bookwormAdvisories))
                    try await body(agents, telegram, runtime, endpoint)
                }
            }
        }
    }
}
