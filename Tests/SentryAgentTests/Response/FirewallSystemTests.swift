import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Real kernels, real packets: the agent's firewall code runs inside a network namespace (through
/// `ip netns exec`), a client in a second namespace connects over a veth pair, and every command arrives as a real
/// sealed `/response` call. The host's own ruleset is never touched.
@Suite(
    "Blocking in network namespaces",
    .serialized,
    .system,
    .enabled(
        if: SystemRequirements.canUseNetworkNamespaces && SystemRequirements.has("nft") && SystemRequirements.has("iptables")
            && SystemRequirements.has("ipset") && SystemRequirements.has("socat"),
        "needs root, ip netns, nft, iptables, ipset and socat (.ci/run installs them)")
)
struct FirewallSystemTests {
    /// Which programs the agent may see, so each backend gets its turn.
    static let backends: [(name: String, hidden: Set<String>)] = [("nftables", []), ("iptables+ipset", ["nft"]), ("iptables", ["nft", "ipset"])]

    @Test("block → connect fails; unblock → it works; a 2 s block expires in the kernel; IPv4 and IPv6", arguments: [0, 1, 2])
    func blockUnblockExpire(_ backend: Int) async throws {
        let (name, hidden) = Self.backends[backend]
        try await NetworkNamespacePair.with { pair in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let responders = Executor.Responders.make(
                configuration: ResponsesConfiguration(), hubAddresses: [], dryRun: false, runner: pair.agentRunner,
                locator: ProgramLocator(hidden: hidden), localAddresses: { [pair.agentIPv4, pair.agentIPv6] }, logger: Logger(label: "test"))
            #expect(responders.blocks.firewall.name == name)
            try await AgentUnderTest.run(responders: responders, journalDirectory: directory.path) { agent in
                for (client, server) in [(pair.clientIPv4, pair.agentIPv4), (pair.clientIPv6, pair.agentIPv6)] {
                    #expect(await pair.connect(to: server) == .connected)

                    let block = try await agent.send(.make(.blockIP(ip: client.description, durationSeconds: 3600)))
                    #expect(block.outcome == .done, "\(block)")
                    #expect(block.detail?.contains("blocked \(client) for 1h (\(name)") == true)
                    #expect(await pair.connect(to: server) == .timedOut)

                    let listed = try await agent.listBlocks()
                    #expect(listed.backend == name)
                    let entry = try #require(listed.entries.first { $0.ip == client.description })
                    #expect((3590...3600).contains(entry.secondsLeft ?? 0))

                    let again = try await agent.send(.make(.blockIP(ip: client.description, durationSeconds: 86_400)))
                    #expect(again.detail?.hasPrefix("extended the block on \(client)") == true)

                    let unblock = try await agent.send(.make(.unblockIP(ip: client.description)))
                    #expect(unblock.outcome == .done)
                    #expect(await pair.connect(to: server) == .connected)
                }

                // Both families blocked for 2 s; the agent does nothing more: the kernel lifts the blocks.
                let clock = ContinuousClock()
                let blockedAt = clock.now
                for client in [pair.clientIPv4, pair.clientIPv6] {
                    #expect(try await agent.send(.make(.blockIP(ip: client.description, durationSeconds: 2))).outcome == .done)
                }
                #expect(await pair.connect(to: pair.agentIPv4) == .timedOut)
                #expect(await pair.connect(to: pair.agentIPv6) == .timedOut)
                // Per-rule iptables blocks stop at a whole second, so allow one more.
                let deadline = blockedAt + .milliseconds(name == "iptables" ? 4500 : 3500)
                for server in [pair.agentIPv4, pair.agentIPv6] {
                    // Tried until a connect succeeds or one that started after the deadline fails: under load an attempt
                    // started before the lift can time out after the deadline, and that says nothing about the lift.
                    var result: NetworkNamespacePair.ConnectResult
                    var attemptStarted: ContinuousClock.Instant
                    repeat {
                        attemptStarted = clock.now
                        result = await pair.connect(to: server)
                        if result != .connected, attemptStarted < deadline { try await Task.sleep(for: .milliseconds(200)) }
                    } while result != .connected && attemptStarted < deadline
                    #expect(result == .connected, "still blocked \(attemptStarted - blockedAt) after a 2 s block")
                }
            }
        }
    }

    @Test("an IPv6 /64 block stops every address in it and nothing outside; unblock lifts it; /blocks lists the prefix", arguments: [0, 1, 2])
    func blockIPv6Prefix(_ backend: Int) async throws {
        let (name, hidden) = Self.backends[backend]
        try await NetworkNamespacePair.with { pair in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let responders = Executor.Responders.make(
                configuration: ResponsesConfiguration(), hubAddresses: [], dryRun: false, runner: pair.agentRunner,
                locator: ProgramLocator(hidden: hidden), localAddresses: { [pair.agentIPv4, pair.agentIPv6] }, logger: Logger(label: "test"))
            #expect(responders.blocks.firewall.name == name)
            try await AgentUnderTest.run(responders: responders, journalDirectory: directory.path) { agent in
                let prefix = pair.clientPrefix.description
                #expect(await pair.connect(to: pair.agentIPv6, from: pair.clientPrefixAddress) == .connected)

                // Written with host bits set, as a detector might: the agent blocks the canonical /64.
                let sloppy = pair.clientPrefixAddress.description + "/64"
                let block = try await agent.send(.make(.blockIP(ip: sloppy, durationSeconds: 3600)))
                #expect(block.outcome == .done, "\(block)")
                #expect(block.detail?.contains("blocked \(prefix) for 1h (\(name)") == true, "\(block)")
                #expect(await pair.connect(to: pair.agentIPv6, from: pair.clientPrefixAddress) == .timedOut)
                #expect(await pair.connect(to: pair.agentIPv6) == .connected, "an address outside the /64 was blocked too")

                let listed = try await agent.listBlocks()
                let entry = try #require(listed.entries.first { $0.ip == prefix }, "\(listed.entries)")
                #expect((3590...3600).contains(entry.secondsLeft ?? 0))

                let again = try await agent.send(.make(.blockIP(ip: prefix, durationSeconds: 86_400)))
                #expect(again.detail?.hasPrefix("extended the block on \(prefix)") == true, "\(again)")
                let wider = IPNetwork(address: pair.clientPrefix.address, prefixLength: 56).description
                let overlapping = try await agent.send(.make(.blockIP(ip: wider, durationSeconds: 3600)))
                #expect(overlapping.outcome == .refused(reason: "\(wider) overlaps the blocked prefix \(prefix); unblock that first"))

                let unblock = try await agent.send(.make(.unblockIP(ip: prefix)))
                #expect(unblock.outcome == .done, "\(unblock)")
                #expect(await pair.connect(to: pair.agentIPv6, from: pair.clientPrefixAddress) == .connected)
                #expect(try await agent.listBlocks().entries.isEmpty)
            }
        }
    }

    @Test("hostile, protected and own addresses are refused over the wire and the kernel sets stay empty")
    func refusalsRunNothing() async throws {
        try await NetworkNamespacePair.with { pair in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            var configuration = ResponsesConfiguration()
            configuration.neverBlock = [IPNetwork("10.251.0.0/16")!]
            let responders = Executor.Responders.make(
                configuration: configuration, hubAddresses: [pair.clientIPv6], dryRun: false, runner: pair.agentRunner,
                localAddresses: { [pair.agentIPv4, pair.agentIPv6] }, logger: Logger(label: "test"))
            try await AgentUnderTest.run(configuration: configuration, responders: responders, journalDirectory: directory.path) { agent in
                try await responders.blocks.prepare()
                let before = await pair.ruleset()
                for ip in [
                    "\(pair.clientIPv4)\"; nft flush ruleset; echo \"", "\(pair.clientIPv4)\nflush ruleset", "0.0.0.0/0", "::/0",
                    pair.clientIPv4.description, pair.clientIPv6.description, pair.agentIPv6.description, "127.0.0.1",
                ] {
                    let result = try await agent.send(.make(.blockIP(ip: ip, durationSeconds: 3600)))
                    guard case .refused = result.outcome else {
                        Issue.record("\(ip.debugDescription) was not refused: \(result)")
                        continue
                    }
                }
                #expect(await pair.ruleset() == before)
                #expect(await pair.connect(to: pair.agentIPv4) == .connected)
                #expect(try await agent.listBlocks().entries.isEmpty)
            }
        }
    }
}
