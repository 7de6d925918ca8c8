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
        try await feed.serve { url in
            try await FakeTelegramServer.withServer { telegram in
                let hub = try await HubHarness.make(telegram: telegram, agents: [await agent.entry])
                defer { hub.cleanUp() }
                let key = agent.key
                try await hub.run { runtime, endpoint in
                    let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: key)
                    _ = try await client.post("/inventory", body: try WireCoding.encode(FeedUpdaterTests.inventory()))
                    let updater = FeedUpdaterTests.updater(url: url, store: runtime.store, directory: hub.stateDirectory + "/vulnerabilities")
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

                    try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/status")
                    let status = try await telegram.waitUntil { server in
                        server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Vulnerability feed") ? $0 : nil }
                    }
                    #expect(status.text.contains("Vulnerability feed: 13 advisories for bookworm, checked "))
                    #expect(await telegram.specViolations.isEmpty)
                }
            }
        }
    }
}
