import ArgumentParser
import Shared

/// `sentry-agent check-config [--config FILE | FILE]`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate an agent configuration file: exit 0 if it is usable (warnings printed), else print every problem and exit 1.",
        discussion: """
            Warnings (exit 0): a log file that does not exist yet (the detector waits for it), a state_dir that cannot \
            be created.
            """
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file", installed: "/etc/vigil/agent.yml")))
    var config: String?

    @Argument(help: "The agent YAML file (the same as --config).")
    var file: String?

    func validate() throws {
        if config != nil, file != nil { throw ValidationError("give the file once: --config FILE or FILE") }
    }

    func run() throws {
        let file = config ?? self.file ?? ConfigFileLocation.agent
        do {
            let configuration = try AgentConfiguration.load(path: file)
            let exposed = SecretSource.exposures(of: configuration.secretSources, configurationFile: file)
            guard exposed.isEmpty else { throw ConfigError(problems: exposed) }
            print("\(file): OK (agent \(configuration.id), hub \(configuration.hubEndpoint))")
            for warning in configuration.warnings() { print("\(file): warning: \(warning)") }
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
