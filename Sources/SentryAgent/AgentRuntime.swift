import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared

/// Everything a running agent is made of, built from its configuration: detectors feeding the on-disk outbox,
/// delivery to the hub, heartbeats, the sealed `/response` endpoint, and `/metrics` when enabled.
struct AgentRuntime {
    let services: [any Service]
    let outbox: AlertOutbox
    let metrics: MetricsRegistry

    static let version = VigilVersion.current

    static func make(
        configuration agent: AgentConfiguration, dryRun: Bool, logger: Logger, executor: Executor, blocks: BlockResponder,
        listenerDecisions: ListenerDecisions
    ) throws -> AgentRuntime {
        let metrics = MetricsRegistry()
        let outbox = try AlertOutbox(directory: agent.stateDirectory + "/outbox", logger: logger)
        if outbox.loadReport.damagedRegions > 0 {
            metrics.increment(
                "vigil_agent_outbox_damaged_regions_total",
                help: "Damaged stretches found in the outbox files at start.",
                by: Double(outbox.loadReport.damagedRegions)
            )
        }
        let hubClient = SealedClient(endpoint: agent.hubEndpoint, agentID: agent.id, key: agent.key)
        let sink = MeteredSink(outbox: outbox, metrics: metrics)
        let detection = DetectionService(
            configuration: agent.detectors,
            stateDirectory: agent.stateDirectory,
            factory: AlertFactory(agentID: agent.id, hostname: agent.hostname, responses: agent.responses),
            sink: sink,
            logger: logger,
            listenerDecisions: listenerDecisions
        )
        let delivery = OutboxDelivery(outbox: outbox, client: hubClient, logger: logger)
        let heartbeat = HeartbeatSender(
            agentID: agent.id,
            hostname: agent.hostname,
            version: version,
            outbox: outbox,
            health: InputHealthSource(detectors: agent.detectors),
            client: hubClient,
            logger: logger
        )
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys([agent.id: [agent.key]]))
        let endpoint = HTTPServer(
            configuration: agent.listen,
            handler: ResponseEndpoint.make(verifier: verifier, executor: executor, blocks: blocks, logger: logger, metrics: metrics),
            logger: logger,
            // The hub's connections are never pushed out to make room for a stranger's.
            trustedPeers: HostResolver.addresses(of: agent.hubEndpoint.host)
        )
        var services: [any Service] = [
            endpoint, detection, delivery, heartbeat, OutboxGauge(outbox: outbox, delivery: delivery, metrics: metrics),
            StartupCodeShedder(logger: logger),
        ]
        if agent.responses.upgradePackages && !dryRun {
            // Reports upgrades that end, including those that ended while the agent was down.
            services.append(
                UpgradeWatch(
                    settings: .make(agent.responses, stateDirectory: agent.stateDirectory), runner: ProcessCommandRunner(),
                    factory: AlertFactory(agentID: agent.id, hostname: agent.hostname, responses: agent.responses), sink: sink, logger: logger))
        }
        if agent.metrics.enabled { services.append(agent.metrics.makeServer(registry: metrics, logger: logger)) }
        if agent.detectors.packages.enabled && PackageFamily.host == .debian {
            // The hub matches the inventory against its vulnerability feed; hubs without the route answer 404 (logged).
            // The feed is Debian's security tracker and the inventory dpkg's: an RPM host has neither to offer.
            var sender = InventorySender(
                agentID: agent.id, hostname: agent.hostname, statusPath: agent.detectors.packages.statusPath,
                sentPath: agent.stateDirectory + "/inventory-sent.txt", client: hubClient, logger: logger)
            if agent.detectors.listeners.enabled {
                // The hub ranks a vulnerable package that serves the network first.
                sender.exposedPackages = { ExposedPackages.current(logger: logger) }
            }
            services.append(sender)
        }
        return AgentRuntime(services: services, outbox: outbox, metrics: metrics)
    }
}

/// Counts alerts by kind and severity on their way into the outbox.
struct MeteredSink: AlertSink {
    let outbox: AlertOutbox
    let metrics: MetricsRegistry

    func submit(_ alert: Alert) async {
        metrics.increment(
            "vigil_agent_alerts_total",
            help: "Alerts raised by the detectors, by kind and severity.",
            labels: ["kind": alert.kind.rawValue, "severity": alert.severity.rawValue]
        )
        await outbox.submit(alert)
    }
}

extension OutboxGauge: CustomStringConvertible {
    var description: String { "OutboxGauge" }
}

/// Publishes the outbox depth, drops and delivery retries every few seconds.
struct OutboxGauge: Service {
    let outbox: AlertOutbox
    let delivery: OutboxDelivery
    let metrics: MetricsRegistry

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                metrics.set("vigil_agent_outbox_depth", help: "Alerts waiting for the hub's receipt.", to: Double(await outbox.depth))
                metrics.set(
                    "vigil_agent_outbox_dropped", help: "Alerts dropped because the outbox was full, since start.", to: Double(await outbox.dropped))
                metrics.set(
                    "vigil_agent_delivery_retries", help: "Failed deliveries to the hub, since start.", to: Double(await delivery.retries.value))
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }
}
