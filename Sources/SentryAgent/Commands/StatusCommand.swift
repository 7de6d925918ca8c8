import ArgumentParser
import Shared

/// `sentry-agent status [--config FILE]`: the agent as its state directory shows it, without a hub.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the agent's local state: whether an agent process runs, alerts waiting for the hub, and each input's position.",
        discussion: "Reads the state directory only; it changes nothing and needs no hub."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file (its agent.state_dir is read)")))
    var config: String = ConfigFileLocation.agent

    func run() throws {
        let agent = try AgentConfigurationLoader.load(config)
        FileOutput.standardOutput.write(StateDirectoryReport.read(directory: agent.stateDirectory).render())
    }
}

/// Loads the agent configuration for a command-line tool, printing every problem and exiting 1 on a bad file.
enum AgentConfigurationLoader {
    static func load(_ path: String) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path)
        } catch let error as ConfigError {
            for problem in error.problems { FileOutput.standardError.write("\(path): \(problem)\n") }
            throw ExitCode.failure
        }
    }
}
