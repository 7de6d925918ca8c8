import BotHub
import Foundation
import Logging
import Shared

/// A stand-in agent: a real `/response` endpoint on 127.0.0.1 that verifies the seal, records each command and
/// answers with a scripted outcome.
actor FakeAgent {
    let key = AgentKey.generate()
    let id: String
    private(set) var commands: [ResponseCommand] = []
    private var outcome: ResponseResult.Outcome = .done
    private var detail: String?
    private var plan: UpgradePlan?
    private var task: Task<Void, any Error>?
    private(set) var port: UInt16 = 0
    /// While set, each command is recorded, then its connection held open unanswered (an agent that never answers).
    private var holding = false
    private var held: [AsyncStream<Void>.Continuation] = []

    init(id: String = "web-1") {
        self.id = id
    }

    /// From now on each command is recorded and then held unanswered until `release()`.
    func hold() {
        holding = true
    }

    /// Answers the held commands (to a hub that may be gone) and every later one at once.
    func release() {
        holding = false
        for continuation in held { continuation.finish() }
        held = []
    }

    private func waitWhileHolding() async {
        guard holding else { return }
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        held.append(continuation)
        for await _ in stream {}
    }

    func answer(_ outcome: ResponseResult.Outcome, detail: String? = nil, plan: UpgradePlan? = nil) {
        self.outcome = outcome
        self.detail = detail
        self.plan = plan
    }

    /// What a firewall would hold after the recorded commands.
    private func blockList() -> BlockList {
        var blocked: [String: Int64?] = [:]
        for command in commands {
            switch command.action {
            case .blockIP(let ip, let duration): blocked[ip] = duration.map(Int64.init)
            case .unblockIP(let ip): blocked[ip] = nil
            default: break
            }
        }
        return BlockList(
            backend: "fake", entries: blocked.keys.sorted().map { BlockList.Entry(ip: $0, secondsLeft: blocked[$0] ?? nil) }, listedAt: Date())
    }

    private func record(_ command: ResponseCommand) -> ResponseResult {
        commands.append(command)
        return ResponseResult(commandId: command.id, outcome: outcome, detail: detail, finishedAt: Date(), plan: plan)
    }

    func start() async throws {
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys([id: [key]]))
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/response",
            SealedRoute(verifier: verifier, logger: Logger(label: "fake-agent")) { [weak self] envelope in
                guard let self, let command = try? WireCoding.decode(ResponseCommand.self, from: envelope.plaintext) else {
                    return SealedReply(status: .unprocessable, body: [])
                }
                let result = await self.record(command)
                await self.waitWhileHolding()
                return SealedReply(body: (try? WireCoding.encode(result)) ?? [])
            }
        )
        router.addSealed(
            "POST",
            "/blocks",
            SealedRoute(verifier: verifier, logger: Logger(label: "fake-agent")) { [weak self] _ in
                guard let self else { return SealedReply(status: .internalServerError, body: []) }
                let list = await self.blockList()
                return SealedReply(body: (try? WireCoding.encode(list)) ?? [])
            }
        )
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: router, logger: Logger(label: "fake-agent"))
        task = Task { try await server.serve() }
        port = try await server.listeningPort()
    }

    /// Stops serving and returns once the listener is closed (a later connection is refused).
    func stop() async {
        release()
        task?.cancel()
        _ = await task?.result
        task = nil
    }

    var entry: HubConfiguration.AgentEntry {
        HubConfiguration.AgentEntry(id: id, responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: port), key: key)
    }
}
