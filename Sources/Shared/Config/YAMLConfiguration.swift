import FoundationEssentials

/// A program's configuration file (`agent.yml`, `hub.yml`): the program reads its sections from a `ConfigReader`; how a
/// document is composed, checked for unknown top-level keys, refused with every problem at once and read from a file
/// is the same for every program, and lives here.
public protocol YAMLConfiguration {
    /// Reads the document's sections from `root`, recording every problem in its log; nil when a problem made a value
    /// impossible (the problems then say why).
    static func read(_ root: ConfigReader, environment: [String: String]) -> Self?
    /// Where each secret came from (inline, environment, file), for `check-config`'s file-mode check.
    var secretSources: [SecretSource] { get set }
}

extension YAMLConfiguration {
    /// Parses `yaml`; throws a `ConfigError` naming every problem's field, or a YAML error for text that is not YAML.
    public static func parse(yaml: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        let log = ProblemLog()
        let root = ConfigReader(node: try YAMLDocument.compose(yaml), path: "", log: log)
        let configuration = read(root, environment: environment)
        root.rejectUnknownKeys()
        guard log.problems.isEmpty, var configuration else { throw ConfigError(problems: log.problems) }
        configuration.secretSources = log.secrets
        return configuration
    }

    /// Reads the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(field: "(file)", reason: "cannot read \(path)")])
        }
        return try parse(yaml: text, environment: environment)
    }
}
