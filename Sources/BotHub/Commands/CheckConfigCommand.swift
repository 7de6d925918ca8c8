import ArgumentParser
import Shared

/// `bothub check-config [--config FILE | FILE]`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract:
            "Validate a hub configuration file, its catalogs and the enrolled agents (agents.yml): exit 0 if usable, else print every problem and exit 1."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file", installed: "/etc/vigil/hub.yml")))
    var config: String?

    @Argument(help: "The hub YAML file (the same as --config).")
    var file: String?

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    func validate() throws {
        if config != nil, file != nil { throw ValidationError("give the file once: --config FILE or FILE") }
    }

    func run() throws {
        let file = config ?? self.file ?? ConfigFileLocation.hub
        do {
            let configuration = try HubConfiguration.load(path: file)
            let catalogs = try MessageCatalogs.load(override: translations ?? configuration.translationsDirectory)
            let check = HubSetupCheck(configuration: configuration, catalogs: catalogs)
            let enrollmentPath = AgentEnrollmentFile(stateDirectory: configuration.stateDirectory).path
            let exposed =
                SecretSource.exposures(of: configuration.secretSources, configurationFile: file)
                + SecretSource.exposures(of: [SecretSource(field: "agents", file: enrollmentPath)], configurationFile: file)
            let problems = check.configurationProblems() + check.enrollmentProblems() + exposed
            guard problems.isEmpty else { throw ConfigError(problems: problems) }
            let enrolled = try check.enrollment().usable
            print(
                "\(file): OK (\(configuration.agents.count) agents in the file, \(enrolled) enrolled, \(configuration.telegram.chats.count) chats, "
                    + "catalogs: \(catalogs.languages.joined(separator: ", ")))")
            if let problem = StateDirectoryCheck.problem(configuration.stateDirectory) { print("\(file): warning: hub.state_dir: \(problem)") }
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
