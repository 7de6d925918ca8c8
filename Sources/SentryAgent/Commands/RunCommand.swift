import ArgumentParser
import Logging
import ServiceLifecycle
import Shared

/// `sentry-agent run --config FILE`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: serve the sealed /response endpoint until SIGTERM or SIGINT."
    )

    @Option(help: "The agent YAML file.")
    var config: String

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "sentry-agent")
        let agent: AgentConfiguration
        do {
            agent = try AgentConfiguration.load(path: config)
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("bad configuration: \(problem)") }
            throw ExitCode.failure
        }
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys([agent.id: [agent.key]]))
        let server = HTTPServer(configuration: agent.listen, handler: ResponseRoutes.make(verifier: verifier, logger: logger), logger: logger)
        let group = ServiceGroup(
            services: [server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
