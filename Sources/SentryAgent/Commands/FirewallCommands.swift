import ArgumentParser
import FoundationEssentials
import Logging
import Shared

/// `sentry-agent blocks [--config FILE] [--json]`: the firewall's current Vigil blocks, read on this host.
struct BlocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocks",
        abstract: "List the addresses Vigil blocks in this host's firewall, with the time left (local; no hub needed)."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file (its responses.firewall picks the backend)")))
    var config: String = ConfigFileLocation.agent

    @Flag(help: "Print the list as JSON (the same object the hub's /blocks receives).")
    var json = false

    func run() async throws {
        let blocks = LocalFirewall.responder(try AgentConfigurationLoader.load(config))
        let entries: [BlockEntry]
        do {
            entries = try await blocks.list()
        } catch {
            FileOutput.standardError.write("cannot list blocks: \(error.description)\n")
            throw ExitCode.failure
        }
        if json {
            var data = try WireCoding.encoder().encode(LocalFirewall.blockList(entries, backend: blocks.firewall.name))
            data.append(UInt8(ascii: "\n"))
            FileOutput.standardOutput.write(data)
        } else {
            FileOutput.standardOutput.write(LocalFirewall.render(entries, backend: blocks.firewall.name))
        }
    }
}

/// `sentry-agent unblock IP [--config FILE]`: lifts a block on this host, with the refusals of the `/response` path.
struct UnblockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock",
        abstract: "Lift Vigil's block on an address in this host's firewall (local; no hub needed).",
        discussion: "Exit status: 0 when the address is unblocked or was not blocked, 1 when refused or when the firewall fails."
    )

    @Argument(help: "The IPv4 or IPv6 address to unblock.")
    var ip: String

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file")))
    var config: String = ConfigFileLocation.agent

    func run() async throws {
        let agent = try AgentConfigurationLoader.load(config)
        let report = await LocalFirewall.unblock(ip, agent: agent)
        switch report.outcome {
        case .done, .alreadyDone, .started:
            FileOutput.standardOutput.write((report.detail ?? "done") + "\n")
        case .refused(let reason):
            FileOutput.standardError.write("refused: \(reason)\n")
            throw ExitCode.failure
        case .failed(let reason):
            FileOutput.standardError.write("failed: \(reason)\n")
            throw ExitCode.failure
        }
    }
}

/// The agent's own firewall pieces, built for a one-shot local command: the same `BlockResponder` (parsing,
/// refusals, serialisation) and backend choice as the running agent's `/response` path.
enum LocalFirewall {
    /// The responder for `agent`'s firewall; `runner` runs the programs (tests pass one inside a network namespace).
    static func responder(_ agent: AgentConfiguration, runner: any CommandRunner = ProcessCommandRunner()) -> BlockResponder {
        // Errors only: a command's output is its answer, not the agent's start-up log.
        var logger = Logger(label: "sentry-agent")
        logger.logLevel = .error
        return Executor.Responders.make(configuration: agent.responses, hubAddresses: [], dryRun: false, runner: runner, logger: logger).blocks
    }

    /// Unblocks `ip` as a sealed `unblock_ip` would: refused when `responses.block_ip` is off or the address is malformed.
    static func unblock(_ ip: String, agent: AgentConfiguration, runner: any CommandRunner = ProcessCommandRunner()) async -> ActionReport {
        guard agent.responses.blockIP else {
            return .refused("unblock_ip is disabled in this agent's configuration (responses.block_ip)")
        }
        return await responder(agent, runner: runner).unblock(ip: ip)
    }

    static func blockList(_ entries: [BlockEntry], backend: String, now: Date = Date()) -> BlockList {
        BlockList(
            backend: backend, entries: entries.map { BlockList.Entry(ip: $0.address.description, secondsLeft: $0.timeLeft?.components.seconds) },
            listedAt: now)
    }

    /// `nftables: 2 blocked` and one `ADDRESS  TIME LEFT` line per block.
    static func render(_ entries: [BlockEntry], backend: String) -> String {
        var text = "\(backend): \(entries.count) blocked\n"
        let width = entries.map(\.address.description.count).max() ?? 0
        for entry in entries.sorted(by: { $0.address.description < $1.address.description }) {
            let address = entry.address.description
            let left = entry.timeLeft.map { "\(DurationText.describe($0)) left" } ?? "permanent"
            text += address + String(repeating: " ", count: width - address.count + 2) + left + "\n"
        }
        return text
    }
}
