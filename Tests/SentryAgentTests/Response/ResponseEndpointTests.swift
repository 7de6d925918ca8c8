import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `/response` and `/blocks` over real sockets, sealed as the hub seals them.
@Suite("Agent /response endpoint")
struct ResponseEndpointTests {
    let firewall = FakeFirewall()
    let runner = RecordingCommandRunner()

    /// The result sealed in the agent's reply to a request sealed with `requestNonce`.
    static func result(of reply: HTTPClientResponse, requestNonce: String, key: AgentKey) throws -> ResponseResult {
        let message = SealedMessage(
            agentID: reply.headers[SealedHeaders.agent] ?? "", timestamp: Int64(reply.headers[SealedHeaders.timestamp] ?? "") ?? 0,
            nonce: reply.headers[SealedHeaders.nonce] ?? "", body: reply.body)
        let opened = try Sealer.open(message, direction: .reply(path: "/response", requestNonce: requestNonce), key: key)
        return try WireCoding.decode(ResponseResult.self, from: opened)
    }

    @Test("a sealed command is executed and its sealed result comes back")
    func sealedRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await AgentUnderTest.run(responders: .fake(firewall: firewall, runner: runner), journalDirectory: directory.path) { agent in
            let command = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600))
            let result = try await agent.send(command)
            #expect(result.commandId == command.id)
            #expect(result.outcome == .done)
            let list = try await agent.listBlocks()
            #expect(list.backend == "fake")
            #expect(list.entries == [BlockList.Entry(ip: "203.0.113.7", secondsLeft: 3600)])
            #expect(try await agent.send(command).outcome == .alreadyDone)
        }
        #expect(await firewall.changes == ["add 203.0.113.7 3600s"])
    }

    @Test("/blocks on a firewall whose table is gone says so in the sealed list, not as an HTTP 500")
    func blocksWithoutTable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await AgentUnderTest.run(responders: .fake(firewall: firewall, runner: runner), journalDirectory: directory.path) { agent in
            #expect(try await agent.listBlocks().problem == nil)
            // What nft prints when the table was flushed away under the agent.
            await firewall.fail(
                with: FirewallError("nft failed (exit 1: Error: No such file or directory; did you mean table ‘vigil’ in family inet?)"))
            let list = try await agent.listBlocks()
            #expect(list.entries.isEmpty)
            #expect(list.problem?.hasPrefix("firewall table not found") == true)
            // The next request prepares the table again rather than trusting it still exists.
            await firewall.fail(with: nil)
            let prepared = await firewall.calls.filter { $0 == "prepare" }.count
            #expect(try await agent.listBlocks().problem == nil)
            #expect(await firewall.calls.filter { $0 == "prepare" }.count == prepared + 1)
        }
    }

    @Test("unsigned, forged, replayed, wrong-key and stale commands get 401 with an empty body, and nothing runs")
    func refusedBeforeAnythingRuns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.reboot = true
        let responders = Executor.Responders.fake(firewall: firewall, runner: runner)
        try await AgentUnderTest.run(configuration: configuration, responders: responders, journalDirectory: directory.path) { agent in
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: agent.port)
            let http = HTTPClient(timeout: .seconds(5))
            let body = try WireCoding.encode(ResponseCommand.make(.reboot))

            let unsigned = try await http.send(HTTPRequest(method: "POST", target: "/response", body: body), to: endpoint)
            #expect(unsigned.status == 401)
            #expect(unsigned.body.isEmpty)

            var forged = try Sealer.seal(
                body, direction: .request(method: "POST", path: "/response"), agentID: AgentUnderTest.agentID, key: agent.key)
            forged.body[3] ^= 0x40
            let forgedReply = try await http.send(
                HTTPRequest(method: "POST", target: "/response", headers: HTTPHeaders(forged.headers), body: forged.body), to: endpoint)
            #expect(forgedReply.status == 401)

            // A body sealed for /blocks cannot be replayed on /response.
            let wrongPath = try Sealer.seal(
                body, direction: .request(method: "POST", path: "/blocks"), agentID: AgentUnderTest.agentID, key: agent.key)
            let wrongPathReply = try await http.send(
                HTTPRequest(method: "POST", target: "/response", headers: HTTPHeaders(wrongPath.headers), body: wrongPath.body), to: endpoint)
            #expect(wrongPathReply.status == 401)

            let stranger = SealedClient(endpoint: endpoint, agentID: AgentUnderTest.agentID, key: AgentKey.generate())
            await #expect(throws: SealedClientError.self) { try await stranger.post("/response", body: body) }
            let stale = SealedClient(endpoint: endpoint, agentID: AgentUnderTest.agentID, key: agent.key, now: { Date().addingTimeInterval(-120) })
            await #expect(throws: SealedClientError.self) { try await stale.post("/response", body: body) }

            #expect(runner.invocations.isEmpty)

            // One genuine request (the same command id as every refused one above), then its exact bytes replayed.
            let good = try Sealer.seal(body, direction: .request(method: "POST", path: "/response"), agentID: AgentUnderTest.agentID, key: agent.key)
            let request = HTTPRequest(method: "POST", target: "/response", headers: HTTPHeaders(good.headers), body: good.body)
            let genuine = try await http.send(request, to: endpoint)
            #expect(genuine.status == 200)
            // The executor's answer is the completion signal: "done", not "already done", so no refused copy of this
            // command reached it before.
            #expect(try Self.result(of: genuine, requestNonce: good.nonce, key: agent.key).outcome == .done)
            let replayed = try await http.send(request, to: endpoint)
            #expect(replayed.status == 401)
            #expect(replayed.body.isEmpty)
            try await waitUntil("the genuine reboot ran") { !runner.invocations.isEmpty }
            #expect(runner.invocations.map(\.argv) == [["/bin/true", "reboot"]], "the genuine command ran once, the replay not at all")
        }
    }

    @Test("a sealed body that is not a ResponseCommand gets 422, sealed, and runs nothing")
    func notACommand() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await AgentUnderTest.run(responders: .fake(firewall: firewall, runner: runner), journalDirectory: directory.path) { agent in
            await #expect(throws: SealedClientError.self) {
                try await agent.client.post("/response", body: Array("{\"action\":{\"type\":\"format_disk\"}}".utf8))
            }
        }
        #expect(await firewall.calls.isEmpty)
    }
}
