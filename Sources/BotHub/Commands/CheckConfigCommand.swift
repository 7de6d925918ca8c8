import ArgumentParser
import Shared

/// `bothub check-config [--config FILE | FILE]`
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a hub configuration file: exit 0 if it is usable, else print every problem and exit 1."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file", installed: "/etc/vigil/hub.yml")))
    var config: String?

    @Argument(help: "The hub YAML file (the same as --config).")
    var file: String?

    func validate() throws {
        if config != nil, file != nil { throw ValidationError("give the file once: --config FILE or FILE") }
    }

    func run() throws {
        let file = config ?? self.file ?? ConfigFileLocation.hub
        do {
            let configuration = try HubConfiguration.load(path: file)
            print("\(file): OK (\(configuration.agents.count) agents, \(configuration.telegram.chats.count) chats)")
            if let problem = StateDirectoryCheck.problem(configuration.stateDirectory) { print("\(file): warning: hub.state_dir: \(problem)") }
        } catch let error as ConfigError {
            for problem in error.problems { print("\(file): \(problem)") }
            throw ExitCode.failure
        }
    }
}
