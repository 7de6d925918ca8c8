import FoundationEssentials
import Shared

/// Everything `sentry-agent` reads from its YAML file (see `config/agent.example.yml`).
public struct AgentConfiguration: Sendable, YAMLConfiguration {
    /// This agent's id, as enrolled on the hub.
    public var id: String
    /// The name shown in alerts; defaults to the system hostname.
    public var hostname: String
    /// Where the agent keeps its outbox, log positions and command journal.
    public var stateDirectory: String
    /// The hub's `http://host:port`.
    public var hubEndpoint: HTTPEndpoint
    /// The key shared with the hub.
    public var key: AgentKey
    /// Where `/response` listens and its limits.
    public var listen: HTTPServerConfiguration
    /// Which responses this agent will run.
    public var responses: ResponsesConfiguration
    /// What the agent watches and its thresholds (the `detectors:` section).
    public var detectors = DetectorsConfiguration()
    /// `GET /metrics` (Prometheus), off by default, loopback only.
    public var metrics = MetricsConfiguration(port: 9101)
    /// Where the secrets came from (inline or a file), for `check-config`'s file-mode check.
    public var secretSources: [SecretSource] = []

    /// The sections of `agent.yml` (parse and load come with `YAMLConfiguration`).
    public static func read(_ root: ConfigReader, environment: [String: String]) -> AgentConfiguration? {
        let agent = root.section("agent")
        let id = agent.agentID("id")
        let hostname = agent.string("hostname") ?? ProcessInfo.processInfo.hostName
        let stateDirectory = agent.string("state_dir", default: "/var/lib/vigil-agent")
        if !stateDirectory.hasPrefix("/") { agent.problem("state_dir", "must be an absolute path") }
        agent.rejectUnknownKeys()

        let hub = root.section("hub")
        var endpoint: HTTPEndpoint?
        if let url = hub.string("url") {
            endpoint = HTTPEndpoint(url: url)
            if endpoint == nil {
                hub.problem("url", "not an http://host:port URL (the sealed protocol needs no TLS; put a proxy in front for https)")
            }
        } else {
            hub.problem("url", "required")
        }
        let key = hub.agentKey("key", environment: environment)
        hub.rejectUnknownKeys()

        let listen = root.section("listen").httpServer(defaultPort: 7071)
        let responses = ResponsesConfiguration.read(root.section("responses"))
        // Every section is read before the required fields are checked, so all problems are reported in one go.
        let detectors = DetectorsConfiguration.read(root.section("detectors"))
        let metrics = root.section("metrics").metrics(defaultPort: 9101)

        guard let id, let endpoint, let key else { return nil }
        return AgentConfiguration(
            id: id,
            hostname: hostname,
            stateDirectory: stateDirectory,
            hubEndpoint: endpoint,
            key: key,
            listen: listen,
            responses: responses,
            detectors: detectors,
            metrics: metrics
        )
    }
}
