import ArgumentParser
import Shared

/// `bothub check-config [--config] FILE`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract:
            "Validate a hub configuration file, its catalogs and the enrolled agents (agents.yml): exit 0 if usable, else print every problem and exit 1."
    )

    @Argument(help: "The hub YAML file.")
    var file: String?

    @Option(name: .customLong("config"), help: "The hub YAML file (instead of the argument).")
    var configOption: String?

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    func validate() throws {
        guard (file == nil) != (configOption == nil) else { throw ValidationError("name the hub YAML file once: FILE or --config FILE") }
    }

    func run() throws {
        let file = file ?? configOption ?? ""
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
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
