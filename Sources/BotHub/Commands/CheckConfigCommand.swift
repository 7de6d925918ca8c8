import ArgumentParser
import Shared

/// `bothub check-config FILE`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a hub configuration file: exit 0 if it is usable, else print every problem and exit 1."
    )

    @Argument(help: "The hub YAML file.")
    var file: String

    func run() throws {
        do {
            let configuration = try HubConfiguration.load(path: file)
            let enrollment = AgentEnrollmentFile(stateDirectory: configuration.stateDirectory).path
            let exposed =
                SecretSource.exposures(of: configuration.secretSources, configurationFile: file)
                + SecretSource.exposures(of: [SecretSource(field: "agents", file: enrollment)], configurationFile: file)
            guard exposed.isEmpty else { throw ConfigError(problems: exposed) }
            print("\(file): OK (\(configuration.agents.count) agents, \(configuration.telegram.chats.count) chats)")
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
