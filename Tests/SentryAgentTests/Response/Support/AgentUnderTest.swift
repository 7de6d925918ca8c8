import Foundation
import Logging
import Shared

@testable import SentryAgent

/// The agent's sealed endpoints on 127.0.0.1 port 0, with a `SealedClient` holding the agent's key as the hub would.
struct AgentUnderTest: Sendable {
    static let agentID = "web-1"

    let key: AgentKey
    let executor: Executor
    let blocks: BlockResponder
    let client: SealedClient
    let port: UInt16

    /// Runs `body` against an agent serving `responders`; the server stops when `body` returns or throws.
    static func run<T: Sendable>(
        configuration: ResponsesConfiguration = ResponsesConfiguration(),
        responders: Executor.Responders,
        journalDirectory: String,
        _ body: @Sendable (AgentUnderTest) async throws -> T
    ) async throws -> T {
        let key = AgentKey.generate()
        let logger = Logger(label: "agent-under-test")
        let executor = try Executor(
            configuration: configuration, responders: responders, journalPath: journalDirectory + "/responses.journal", logger: logger)
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys([agentID: [key]]))
        let router = ResponseEndpoint.make(verifier: verifier, executor: executor, blocks: responders.blocks, logger: logger)
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: router, logger: logger)
        let task = Task { try await server.serve() }
        defer { task.cancel() }
        let port = try await server.listeningPort()
        let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: agentID, key: key)
        return try await body(AgentUnderTest(key: key, executor: executor, blocks: responders.blocks, client: client, port: port))
    }

    /// Posts `command` sealed to `/response` and decodes the sealed result.
    func send(_ command: ResponseCommand) async throws -> ResponseResult {
        let reply = try await client.post(ResponseEndpoint.responsePath, body: try WireCoding.encode(command))
        return try WireCoding.decode(ResponseResult.self, from: reply)
    }

    /// Posts sealed to `/blocks` and decodes the list.
    func listBlocks() async throws -> BlockList {
        try WireCoding.decode(BlockList.self, from: try await client.post(ResponseEndpoint.blocksPath, body: []))
    }
}

extension Executor.Responders {
    /// Responders around a fake firewall and a recording signaller and runner: nothing real can run.
    static func fake(
        firewall: FakeFirewall = FakeFirewall(),
        blockGuard: BlockGuard = BlockGuard(localAddresses: { [] }),
        runner: RecordingCommandRunner = RecordingCommandRunner(),
        signaller: RecordingSignaller = RecordingSignaller(),
        processes: ProcessTable = ProcessTable()
    ) -> Executor.Responders {
        Executor.Responders(
            blocks: BlockResponder(firewall: firewall, blockGuard: blockGuard),
            sessions: SessionKiller(processes: processes, signaller: signaller, grace: .milliseconds(200)),
            // Harmless programs only: a test must never be one typo away from rebooting the machine.
            power: PowerControl(
                rebootArgv: ["/bin/true", "reboot"], shutdownArgv: ["/bin/true", "poweroff"], runner: runner, delay: .milliseconds(50))
        )
    }
}
