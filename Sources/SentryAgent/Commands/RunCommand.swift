import ArgumentParser
import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared
import UnixSignals

/// `sentry-agent run --config FILE [--dry-run]`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Run the agent: detect, queue alerts on disk, deliver them to the hub, and serve the sealed /response endpoint until SIGTERM or SIGINT."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file")))
    var config: String = ConfigFileLocation.agent

    @Flag(help: "Run no response for real: record what each would run and answer `done` with a `dry run:` detail.")
    var dryRun = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "sentry-agent")
        var agent: AgentConfiguration
        do {
            agent = try AgentConfiguration.load(path: config)
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("bad configuration: \(problem)") }
            throw ExitCode.failure
        }
        agent.listen = DescriptorLimit.fit(agent.listen, otherConnections: agent.metrics.connectionsNeeded, logger: logger)
        // One writer of the listener baseline, shared by the detector and the responses that accept or forget listeners.
        let listenerDecisions = ListenerDecisions(store: ListenerBaselineStore(stateDirectory: agent.stateDirectory))
        let executor = try await makeExecutor(agent, listenerDecisions: listenerDecisions, logger: logger)
        let runtime: AgentRuntime
        do {
            runtime = try AgentRuntime.make(
                configuration: agent, dryRun: dryRun, logger: logger, executor: executor.executor, blocks: executor.blocks,
                listenerDecisions: listenerDecisions)
        } catch {
            logger.critical("cannot open the outbox", metadata: ["reason": "\(error)"])
            throw ExitCode.failure
        }
        let queued = await runtime.outbox.depth
        logger.info("agent started", metadata: ["agent": "\(agent.id)", "hub": "\(agent.hubEndpoint)", "queued": .stringConvertible(queued)])
        let group = ServiceGroup(
            services: runtime.services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // The lock is held until the services have stopped.
        defer { withExtendedLifetime(executor.lock) {} }
        try await group.run()
        logger.info("stopped")
    }

    /// The state directory, locked against a second agent, the response executor with its journal there, and the
    /// firewall prepared (a failure is logged, and each block retries it and reports the reason).
    private func makeExecutor(_ agent: AgentConfiguration, listenerDecisions: ListenerDecisions, logger: Logger) async throws -> (
        executor: Executor, blocks: BlockResponder, lock: StateDirectoryLock
    ) {
        let lock: StateDirectoryLock
        do {
            try PrivateFile.makeDirectory(agent.stateDirectory)
        } catch {
            logger.critical("cannot create the state directory", metadata: ["path": "\(agent.stateDirectory)", "reason": "\(error)"])
            throw ExitCode.failure
        }
        do {
            lock = try StateDirectoryLock(stateDirectory: agent.stateDirectory, program: "sentry-agent")
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        let hubAddresses = HostResolver.addresses(of: agent.hubEndpoint.host)
        if hubAddresses.isEmpty {
            logger.warning(
                "the hub's host does not resolve; it cannot be protected from blocks by address", metadata: ["host": "\(agent.hubEndpoint.host)"])
        }
        let responders = Executor.Responders.make(
            configuration: agent.responses, hubAddresses: hubAddresses, dryRun: dryRun, stateDirectory: agent.stateDirectory,
            listenerDecisions: listenerDecisions, protectedPorts: (agent.listen.port, agent.hubEndpoint.port),
            identityRoot: agent.detectors.identity.root, logger: logger)
        let executor: Executor
        do {
            executor = try Executor(
                configuration: agent.responses, responders: responders,
                journalPath: agent.stateDirectory + "/responses.journal", logger: logger)
        } catch {
            logger.critical("cannot open the command journal", metadata: ["reason": "\(error)"])
            throw ExitCode.failure
        }
        if agent.responses.blockIP {
            do {
                try await responders.blocks.prepare()
            } catch {
                logger.error("cannot prepare the firewall", metadata: ["reason": "\(error)"])
            }
        }
        return (executor, responders.blocks, lock)
    }
}
