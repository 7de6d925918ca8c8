import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// The fleet view's "Upgrade on all 2" with two real `sentry-agent` processes, each pointed at its own `file:` apt
/// sandbox (the canary 1.0-1 installed in a throw-away dpkg root, 1.0-1+deb12u1 in its security archive): the agents'
/// plans come from real apt simulations, and the confirmed commands carry the exact pins and plan hash, which each
/// agent checks against its own apt again. Between the taps the test changes both hosts (web-1 gets the fix installed
/// by the test itself, web-2's security archive moves on to a newer version), so each agent's check decides: web-1
/// answers already done, web-2 refuses the changed plan. No upgrade is run by an agent process here: an agent's apt
/// runs with the host's apt.conf.d (its environment is fixed), and its hooks must not run for a sandbox; the real
/// install through `plan_upgrade` → `upgrade_packages` is `PackageUpgraderSystemTests.planThenUpgrade`.
@Suite("Fleet upgrade with real agents", .serialized, .system)
struct FleetUpgradeRealAgentsTests {
    typealias Package = AptSandbox.Package

    static let canaryOld = Package(name: "vigil-canary", version: "1.0-1")
    static let canaryNew = Package(name: "vigil-canary", version: "1.0-1+deb12u1")

    /// One bookworm advisory for the canary, fixed in 1.0-1+deb12u1.
    static let feed = """
        {"vigil-canary": {"CVE-2026-0001": {"scope": "remote", "releases": {"bookworm": {"status": "resolved",
          "repositories": {"bookworm": "1.0-1", "bookworm-security": "1.0-1+deb12u1"}, "fixed_version": "1.0-1+deb12u1", "urgency": "high"}}}}}
        """

    static func inventory(_ agent: String) -> PackageInventory {
        PackageInventory(
            agent: agent, hostname: agent, distribution: "debian", release: "bookworm",
            sources: [
                .init(name: "vigil-canary", version: "1.0-1", binaries: [.init(name: "vigil-canary", version: "1.0-1", architecture: "amd64")])
            ], collectedAt: Date())
    }

    @Test(
        "two real agents plan the canary's upgrade with apt; the confirmed pins and hash are checked by each agent again",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: HubProcessTests.FullPipelineTests.agentBinary),
            "needs the sentry-agent binary (swift build --build-tests)"),
        .timeLimit(.minutes(5)))
    func planAndConfirm() async throws {
        var sandboxes: [AptSandbox] = []
        defer { for sandbox in sandboxes { sandbox.remove() } }
        for _ in 0..<2 {
            sandboxes.append(
                try await AptSandbox.makeInstallable(main: [Self.canaryOld], security: [Self.canaryNew], installed: ["vigil-canary=1.0-1"]))
        }
        let ids = ["web-1", "web-2"]
        let keys = ids.map { _ in AgentKey.generate() }
        var freePorts: [UInt16] = []
        for _ in ids { freePorts.append(try FreePort.loopback()) }
        let ports = freePorts
        let entries = ids.indices.map {
            HubConfiguration.AgentEntry(id: ids[$0], responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: ports[$0]), key: keys[$0])
        }
        let feed = FeedServer()
        feed.answer = .feed(Array(Self.feed.utf8), etag: "\"v1\"")
        try await feed.serve { [sandboxes] url in
            try await FakeTelegramServer.withServer { telegram in
                let harness = try await HubHarness.make(telegram: telegram, agents: entries)
                defer { harness.cleanUp() }
                try await harness.run { runtime, endpoint in
                    var agents: [LimitedChild] = []
                    defer { for agent in agents { agent.stop() } }
                    for index in ids.indices {
                        let state = harness.stateDirectory + "/agent-\(ids[index])"
                        let options = sandboxes[index].optionItems.map { "'\($0)'" }.joined(separator: ", ")
                        let config = """
                            agent: {id: \(ids[index]), hostname: \(ids[index]), state_dir: \(state)}
                            hub: {url: 'http://127.0.0.1:\(endpoint.port)', key: '\(keys[index].base64)'}
                            listen: {host: 127.0.0.1, port: \(ports[index])}
                            responses: {block_ip: false, kill_session: false, upgrade_packages: true, apt_options: [\(options)]}
                            detectors:
                              ssh: {sessions: false, brute_force: false}
                              cpu: {enabled: false}
                              listeners: {enabled: false}
                              identity: {enabled: false}
                              http404: {enabled: false}
                              packages: {enabled: false}
                            """
                        try config.write(toFile: state + ".yml", atomically: true, encoding: .utf8)
                        agents.append(
                            try await LimitedChild.start(
                                HubProcessTests.FullPipelineTests.agentBinary, ["run", "--config", state + ".yml"], log: state + ".log",
                                port: ports[index]))
                        // The inventory as this agent's packages detector would send it (it reads the host's dpkg, not the sandbox's).
                        let client = SealedClient(endpoint: endpoint, agentID: ids[index], key: keys[index])
                        _ = try await client.post("/inventory", body: try WireCoding.encode(Self.inventory(ids[index])))
                    }
                    let updater = FeedUpdaterTests.updater(url: url, store: runtime.store, directory: harness.stateDirectory + "/vulnerabilities")
                    #expect(await updater.refresh() == .updated(advisories: 1))

                    try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.admin.id, text: "/vulns")
                    let view = try await telegram.waitUntil { server in
                        server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Known vulnerabilities") ? $0 : nil }
                    }
                    #expect(view.text.contains("CVE-2026-0001 vigil-canary · high · 2 hosts · fix 1.0-1+deb12u1"), "\(view.text)")
                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id,
                        label: "Upgrade on all 2: CVE-2026-0001 vigil-canary")
                    let plans = try await telegram.waitUntil(timeout: .seconds(60)) { server in
                        server.message(in: HubHarness.chatID, id: view.messageID).flatMap {
                            $0.text.contains("Simulated plans") || $0.text.contains("No host") ? $0 : nil
                        }
                    }
                    let logs = agents.map(\.logTail).joined(separator: "\n")
                    #expect(plans.text.contains("web-1: 1 packages upgraded, 0 new, 0 removed"), "\(plans.text)\n\(logs)")
                    #expect(plans.text.contains("web-2: 1 packages upgraded, 0 new, 0 removed"))
                    #expect(plans.text.contains("vigil-canary 1.0-1 → 1.0-1+deb12u1"))

                    // Meanwhile web-1 gets the fix installed, and web-2's security archive moves on to a newer version.
                    _ = try await sandboxes[0].aptGet(["-y", "install", "vigil-canary=1.0-1+deb12u1"])
                    try await sandboxes[1].publishSecurity([Package(name: "vigil-canary", version: "1.0-1+deb12u2")])

                    _ = try await telegram.pressButton(
                        chatID: HubHarness.chatID, messageID: view.messageID, userID: HubHarness.admin.id, label: "Yes, upgrade")
                    let outcome = try await telegram.waitUntil(timeout: .seconds(60)) { server in
                        server.message(in: HubHarness.chatID, id: view.messageID).flatMap { $0.text.contains("chosen by") ? $0 : nil }
                    }
                    #expect(outcome.text.contains("web-1: already_done: every pinned package is installed at its pin"), "\(outcome.text)")
                    #expect(outcome.text.contains("web-2: refused: plan changed, rescan"), "\(outcome.text)")
                    let audit = try runtime.store.auditEntries(since: .distantPast).map(\.detail).joined(separator: "\n")
                    #expect(audit.contains("upgrade_packages plan=") && audit.contains("pins=vigil-canary=1.0-1+deb12u1"), "\(audit)")
                    let running = agents.allSatisfy(\.isRunning)
                    #expect(running, "an agent exited: \(logs)")
                }
            }
        }
    }
}
