import FoundationEssentials

/// Where each program finds its configuration when `--config` is not given: `$VIGIL_CONFIG`, else the path the README
/// installs it at. Every subcommand that reads a configuration uses this one default.
public enum ConfigFileLocation {
    /// The environment variable that overrides the installed path.
    public static let environmentVariable = "VIGIL_CONFIG"

    /// `sentry-agent`'s configuration file.
    public static var agent: String { path(installed: "/etc/vigil/agent.yml") }

    /// `bothub`'s configuration file.
    public static var hub: String { path(installed: "/etc/vigil/hub.yml") }

    /// The help text of a `--config` option. With `installed`, for an optional option whose default is applied in
    /// `run()`; without, for an option whose default value the parser shows itself.
    public static func help(_ what: String, installed: String? = nil) -> String {
        guard let installed else { return "\(what); $\(environmentVariable) sets the default." }
        return "\(what) (default: $\(environmentVariable), else \(installed))."
    }

    static func path(installed: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let configured = environment[environmentVariable], !configured.isEmpty else { return installed }
        return configured
    }
}
