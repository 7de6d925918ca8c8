import Foundation
import Logging
import Shared

/// Sends a sealed `ResponseCommand` to the agent's configured `/response` URL and returns what the agent reported.
/// A network failure or an unauthentic reply becomes a `failed` result with the reason: never a silent success.
struct ResponseDispatcher: Sendable {
    let agents: AgentDirectory
    let timeout: Duration
    let logger: Logger
    var metrics: MetricsRegistry?

    func dispatch(_ command: ResponseCommand, to agentID: String, now: Date) async -> ResponseResult {
        let result = await send(command, to: agentID, now: now)
        metrics?.increment(
            "vigil_hub_commands_total", help: "Commands sent to agents, by outcome.", labels: ["agent": agentID, "outcome": result.outcome.name])
        return result
    }

    private func send(_ command: ResponseCommand, to agentID: String, now: Date) async -> ResponseResult {
        guard let agent = agents.entry(for: agentID) else {
            return ResponseResult(commandId: command.id, outcome: .failed(reason: "agent \(agentID) is not enrolled on this hub"), finishedAt: now)
        }
        // During a key rotation the agent may still hold its previous key: try the current one first.
        let keys = agent.keys(at: now)
        for (index, key) in keys.enumerated() {
            let client = SealedClient(endpoint: agent.responseEndpoint, agentID: agent.id, key: key, http: HTTPClient(timeout: timeout))
            do {
                let reply = try await client.post("/response", body: try WireCoding.encode(command))
                let result = try WireCoding.decode(ResponseResult.self, from: reply)
                guard result.commandId == command.id else {
                    return ResponseResult(commandId: command.id, outcome: .failed(reason: "the agent answered for another command"), finishedAt: now)
                }
                return result
            } catch let error as SealedClientError {
                if error.code == .status(401), index + 1 < keys.count { continue }
                logger.warning("command not delivered", metadata: ["agent": "\(agentID)", "reason": "\(error)"])
                return ResponseResult(
                    commandId: command.id, outcome: .failed(reason: Self.explain(error, endpoint: agent.responseEndpoint)), finishedAt: Date())
            } catch {
                return ResponseResult(commandId: command.id, outcome: .failed(reason: "unreadable reply from the agent"), finishedAt: Date())
            }
        }
        return ResponseResult(commandId: command.id, outcome: .failed(reason: "no key for agent \(agentID)"), finishedAt: now)
    }

    /// The agent's own list of blocks (what its firewall holds now, with the kernel's time left).
    func blocks(of agentID: String, now: Date) async -> Result<BlockList, ListError> {
        guard let agent = agents.entry(for: agentID) else { return .failure(ListError(description: "not enrolled")) }
        for (index, key) in agent.keys(at: now).enumerated() {
            let client = SealedClient(endpoint: agent.responseEndpoint, agentID: agent.id, key: key, http: HTTPClient(timeout: timeout))
            do {
                let reply = try await client.post("/blocks", body: Array("{}".utf8))
                let list = try WireCoding.decode(BlockList.self, from: reply)
                if let problem = list.problem { return .failure(ListError(description: problem)) }
                return .success(list)
            } catch let error as SealedClientError {
                if error.code == .status(401), index + 1 < agent.keys(at: now).count { continue }
                return .failure(ListError(description: Self.explain(error, endpoint: agent.responseEndpoint)))
            } catch {
                return .failure(ListError(description: "unreadable block list"))
            }
        }
        return .failure(ListError(description: "no key"))
    }

    /// Why the agent could not be asked, with what to check: the operator reads this in Telegram and the terminal.
    static func explain(_ error: SealedClientError, endpoint: HTTPEndpoint) -> String {
        let address = "\(endpoint.host):\(endpoint.port)"
        switch error.code {
        case .status(401):
            return "the agent at \(address) refused the hub's seal (HTTP 401): its hub.key is not the key enrolled here (see `bothub agent list`)"
        case .status(let status):
            return "the agent at \(address) answered HTTP \(status)"
        case .rejected(let status):
            return "the agent at \(address) refused the request (sealed HTTP \(status))"
        case .unauthenticReply(let reason):
            return "the reply from \(address) was not sealed by the agent's key (\(reason))"
        case .transport(let text):
            let lower = text.lowercased()
            if lower.contains("refused") || lower.contains("errno: 111") {
                return "connection refused (is sentry-agent running on \(address)?)"
            }
            if lower.contains("timed out") || lower.contains("timeout") {
                return "no answer from \(address) in time (is it reachable from the hub, and is its listen.address this one?)"
            }
            if lower.contains("cannot resolve") { return "\(text) (check the agent's url)" }
            if lower.hasSuffix("disconnected") {
                return
                    "the agent at \(address) closed the connection without answering (is sentry-agent listening there, and is it this agent's url?)"
            }
            return "cannot reach \(address): \(text)"
        }
    }

    struct ListError: Error, CustomStringConvertible {
        let description: String
    }
}
