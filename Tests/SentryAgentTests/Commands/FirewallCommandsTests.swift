import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent blocks` and `unblock` on this host, with no hub: the real binary, run inside a network namespace so
/// the firewall it reads and changes is the namespace's, never the host's.
@Suite("sentry-agent blocks and unblock", .serialized, .system)
struct FirewallCommandsTests {
    static func config(in directory: TemporaryDirectory, blockIP: Bool = true) throws -> String {
        let path = directory.file("agent.yml")
        try """
        agent: {id: web-1, state_dir: \(directory.file("state"))}
        hub: {url: "http://127.0.0.1:9", key: "\(AgentKey.generate().base64)"}
        responses: {block_ip: \(blockIP), firewall: nftables}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(
        "blocks lists the namespace's Vigil blocks with their time left; unblock lifts one, then says it was not blocked",
        .enabled(if: SystemRequirements.canUseNetworkNamespaces && SystemRequirements.has("nft"), "needs root, ip netns and nft"))
    func listAndUnblockInANamespace() async throws {
        try await NetworkNamespacePair.with { pair in
            let directory = try TemporaryDirectory("vigil-fw-cli")
            let config = try Self.config(in: directory)
            let agent = try AgentConfiguration.load(path: config)
            // Given two blocks made the way the running agent makes them,
            let responder = LocalFirewall.responder(agent, runner: pair.agentRunner)
            #expect(await responder.block(ip: pair.clientIPv4.description, durationSeconds: 3600).outcome == .done)
            #expect(await responder.block(ip: pair.clientIPv6.description, durationSeconds: nil).outcome == .done)
            let inside = ["/usr/bin/nsenter", "--net=/run/netns/\(pair.agent)"]

            let listed = try await AgentCLI.run(["blocks", "--config", config], prefix: inside)
            #expect(listed.status == 0, "\(listed.errors)")
            #expect(listed.output.hasPrefix("nftables: 2 blocked\n"), "\(listed.output)")
            #expect(listed.output.contains("\(pair.clientIPv6)  permanent\n"))
            #expect(listed.output.contains("\(pair.clientIPv4)") && listed.output.contains("59m"))

            let json = try await AgentCLI.run(["blocks", "--json", "--config", config], prefix: inside)
            let list = try WireCoding.decode(BlockList.self, from: Array(json.output.utf8))
            #expect(list.backend == "nftables")
            #expect(Set(list.entries.map(\.ip)) == [pair.clientIPv4.description, pair.clientIPv6.description])

            let unblocked = try await AgentCLI.run(["unblock", pair.clientIPv4.description, "--config", config], prefix: inside)
            #expect(unblocked.status == 0, "\(unblocked.errors)")
            #expect(unblocked.output == "unblocked \(pair.clientIPv4) (nftables)\n")
            #expect(try await responder.list().map(\.address) == [pair.clientIPv6])

            let again = try await AgentCLI.run(["unblock", pair.clientIPv4.description, "--config", config], prefix: inside)
            #expect(again.status == 0)
            #expect(again.output == "\(pair.clientIPv4) was not blocked\n")
        }
    }

    @Test("unblock refuses what /response refuses, before any firewall program runs, with exit status 1")
    func refusals() async throws {
        let directory = try TemporaryDirectory("vigil-fw-refuse")
        let hostile = try await AgentCLI.run(["unblock", "1.2.3.4; nft flush ruleset", "--config", try Self.config(in: directory)])
        #expect(hostile.status == 1)
        #expect(hostile.errors.hasPrefix("refused: "), "\(hostile.errors)")
        let disabled = try await AgentCLI.run(["unblock", "192.0.2.1", "--config", try Self.config(in: directory, blockIP: false)])
        #expect(disabled.status == 1)
        #expect(disabled.errors == "refused: unblock_ip is disabled in this agent's configuration (responses.block_ip)\n")
    }
}
