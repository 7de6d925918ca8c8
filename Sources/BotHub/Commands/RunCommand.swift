import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Shared

/// `bothub run --config FILE`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the hub: listen for sealed agent requests until SIGTERM or SIGINT."
    )

    @Option(help: "The hub YAML file.")
    var config: String

    @Option(help: "Directory holding bot.<lang>.yml catalogs.")
    var translations: String = "translations"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "bothub")
        let hub: HubConfiguration
        do {
            hub = try HubConfiguration.load(path: config)
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("bad configuration: \(problem)") }
            throw ExitCode.failure
        }
        _ = try MessageCatalogs.load(directory: translations)
        let enrolled = try AgentEnrollmentFile(stateDirectory: hub.stateDirectory).agentEntries()
        let agents = hub.agents + enrolled.filter { entry in !hub.agents.contains { $0.id == entry.id } }
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys(Dictionary(agents.map { ($0.id, [$0.key]) }, uniquingKeysWith: { $0 + $1 })))

        let server = HTTPServer(configuration: hub.listen, handler: IntakeRoutes.make(verifier: verifier, logger: logger), logger: logger)
        let group = ServiceGroup(
            services: [server],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
