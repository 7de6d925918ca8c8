import ArgumentParser
import Shared

/// `sentry-agent check-config FILE`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate an agent configuration file: exit 0 if it is usable, else print every problem and exit 1."
    )

    @Argument(help: "The agent YAML file.")
    var file: String

    func run() throws {
        do {
            let configuration = try AgentConfiguration.load(path: file)
            let exposed = SecretSource.exposures(of: configuration.secretSources, configurationFile: file)
            guard exposed.isEmpty else { throw ConfigError(problems: exposed) }
            print("\(file): OK (agent \(configuration.id), hub \(configuration.hubEndpoint))")
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
