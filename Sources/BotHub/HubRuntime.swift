import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Everything a running hub is made of, built from its configuration; `services` run in one `ServiceGroup`.
struct HubRuntime {
    let store: HubStore
    let server: HTTPServer
    let notifier: AlertNotifier?
    let poller: UpdatePoller?
    let offlineMonitor: OfflineMonitor
    let pruner: RetentionPruner
    let choices: ChoiceHandler?
    /// Finishes at start the choices a previous run left `handling`.
    let recovery: ChoiceRecovery
    let metrics: MetricsRegistry
    let metricsServer: HTTPServer?
    /// The known-vulnerability feed (`hub.vulnerabilities`), nil while it is off.
    var feedUpdater: FeedUpdater? = nil

    /// The services that run until shutdown: any of them returning or throwing stops the hub.
    var services: [any Service] {
        [server, offlineMonitor, pruner]
            + [notifier as (any Service)?, poller as (any Service)?, metricsServer as (any Service)?, feedUpdater as (any Service)?].compactMap { $0 }
    }

    /// How long a graceful shutdown may take (a press waiting on a stuck agent, a Telegram call) before the group
    /// cancels what is left, and how long that cancellation may take before the process ends anyway: a hub that does
    /// not exit cannot be restarted by systemd.
    static let shutdownGrace: Duration = .seconds(5)
    static let cancellationGrace: Duration = .seconds(5)

    /// The group that runs the hub: `services`, plus `finishing` services that end on their own (the start-up
    /// recovery, a Telegram reconnector) without stopping the others, and a bounded shutdown.
    func groupConfiguration(
        finishing: [any Service] = [], handlesSignals: Bool = true, logger: Logger
    ) -> ServiceGroupConfiguration {
        let finishing = ([recovery] + finishing).map {
            ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .ignore)
        }
        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + finishing, logger: logger)
        // SIGTERM (systemd's stop) and SIGINT shut down gracefully; tests drive the group themselves.
        if handlesSignals { configuration.gracefulShutdownSignals = [.sigterm, .sigint] }
        configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
        configuration.maximumCancellationDuration = Self.cancellationGrace
        return configuration
    }

    /// Tunables tests shorten; production uses the defaults.
    struct Timing: Sendable {
        var choice = ChoiceSettings()
        var pollTimeout = 50
        var heartbeatInterval: TimeInterval = 30
        var offlineCheck: Duration = .seconds(10)
    }

    /// Builds the hub. With a Telegram API the alerts are relayed and presses handled; without one, alerts are
    /// stored and wait for `bothub alerts` / `bothub choose`.
    static func make(
        configuration: HubConfiguration,
        catalogs: MessageCatalogs,
        telegram: (any TelegramAPI)?,
        logger: Logger,
        timing: Timing = Timing(),
        now: @escaping @Sendable () -> Date = Date.init
    ) throws -> HubRuntime {
        try PrivateFile.makeDirectory(configuration.stateDirectory)
        let store = try HubStore.open(path: "\(configuration.stateDirectory)/hub.sqlite")
        let agents = AgentDirectory(
            configured: configuration.agents, enrollment: AgentEnrollmentFile(stateDirectory: configuration.stateDirectory), logger: logger,
            now: now)
        let metrics = MetricsRegistry()
        let wiring = HubWiring(configuration: configuration, store: store, agents: agents, logger: logger, metrics: metrics)
        let roster = wiring.roster
        let dispatcher = wiring.dispatcher
        let reachability = ReachabilityRecorder(store: store, logger: logger, now: now)
        let telegram = telegram.map { MeteredTelegram(wrapped: $0, metrics: metrics, reachability: reachability) as any TelegramAPI }

        var notifier: AlertNotifier?
        var poller: UpdatePoller?
        var choices: ChoiceHandler?
        if let telegram {
            let strangers = StrangerReplyLimiter(perMinute: configuration.telegram.strangerRepliesPerMinute)
            notifier = AlertNotifier(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                roster: roster,
                rates: ChatPacer.Rates(
                    privatePerSecond: configuration.telegram.privateMessagesPerSecond,
                    groupPerMinute: configuration.telegram.groupMessagesPerMinute
                ),
                digests: DigestSettings(
                    threshold: configuration.telegram.digestThreshold,
                    window: TimeInterval(configuration.telegram.digestWindow.components.seconds)
                ),
                logger: logger,
                now: now,
                metrics: metrics
            )
            let choiceHandler = wiring.choices(catalogs: catalogs, telegram: telegram, settings: timing.choice, strangers: strangers, now: now)
            choices = choiceHandler
            let commands = ChatCommandHandler(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                roster: roster,
                agents: agents,
                dispatcher: dispatcher,
                settings: timing.choice,
                logger: logger,
                now: now,
                maxMute: TimeInterval(configuration.telegram.maxMute.components.seconds),
                strangers: strangers,
                metrics: metrics
            )
            poller = UpdatePoller(
                store: store,
                telegram: telegram,
                choices: choiceHandler,
                commands: commands,
                logger: logger,
                pollTimeout: timing.pollTimeout,
                now: now
            )
        }
        // Without Telegram the recovery still resends or reopens; there is no message to edit.
        let recovery = ChoiceRecovery(choices: choices ?? wiring.choices(catalogs: catalogs, telegram: nil, settings: timing.choice, now: now))
        let wake: @Sendable () -> Void = { [notifier] in notifier?.wake() }
        let intake = AlertIntake(store: store, roster: roster, logger: logger, now: now, metrics: metrics, alertStored: wake)
        let offlineMonitor = OfflineMonitor(
            store: store,
            agents: agents,
            roster: roster,
            logger: logger,
            heartbeatInterval: timing.heartbeatInterval,
            checkEvery: timing.offlineCheck,
            now: now,
            alertStored: wake,
            metrics: metrics
        )
        var listen = configuration.listen
        listen.routeBodyLimits["/inventory"] = max(InventoryIntake.maxBodyBytes, listen.maxBodyBytes)
        let server = HTTPServer(
            configuration: listen,
            handler: IntakeRoutes.make(
                intake: intake, verifier: EnvelopeVerifier(keys: agents), logger: logger,
                inventory: InventoryIntake(store: store, logger: logger, now: now)),
            logger: logger
        )
        var runtime = HubRuntime(
            store: store,
            server: server,
            notifier: notifier,
            poller: poller,
            offlineMonitor: offlineMonitor,
            pruner: RetentionPruner(
                store: store, retention: TimeInterval(configuration.retention.components.seconds), logger: logger, now: now),
            choices: choices,
            recovery: recovery,
            metrics: metrics,
            metricsServer: configuration.metrics.enabled ? configuration.metrics.makeServer(registry: metrics, logger: logger) : nil
        )
        if configuration.vulnerabilities.enabled {
            runtime.feedUpdater = FeedUpdater(
                configuration: configuration.vulnerabilities, store: store, workDirectory: "\(configuration.stateDirectory)/vulnerabilities",
                logger: logger,
                now: now)
        }
        return runtime
    }
}
