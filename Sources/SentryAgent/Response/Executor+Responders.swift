import Logging
import Shared

extension Executor.Responders {
    /// Builds every responder from the configuration. In a dry run nothing is run or signalled: the programs are
    /// recorded by a `RecordingCommandRunner` and reported in each result's detail.
    ///
    /// - Parameters:
    ///   - runner: the runner for real runs (tests pass one that runs the firewall inside a network namespace).
    ///   - locator: where programs are found (tests hide `nft` to get the iptables fallback).
    static func make(
        configuration: ResponsesConfiguration,
        hubAddresses: [IPAddress],
        dryRun: Bool,
        runner: any CommandRunner = ProcessCommandRunner(),
        locator: ProgramLocator = ProgramLocator(),
        localAddresses: @escaping @Sendable () -> [IPAddress] = InterfaceAddresses.current,
        stateDirectory: String? = nil,
        listenerDecisions: ListenerDecisions? = nil,
        protectedPorts: (agent: UInt16?, hub: UInt16?) = (nil, nil),
        identityRoot: String = "/",
        logger: Logger
    ) -> Executor.Responders {
        let record = dryRun ? RecordingCommandRunner() : nil
        let effectiveRunner: any CommandRunner = record ?? runner
        let firewall: any Firewall
        var portFirewall: any PortFirewall = UnavailablePortFirewall(reason: "no firewall backend")
        do {
            let backend = try FirewallSelector(locator: locator, runner: effectiveRunner).select(configuration.firewall)
            // A dry run remembers the blocks it would hold, so /blocks and Unblock make sense in a trial.
            firewall = dryRun ? DryRunFirewall(recording: backend) : backend
            // Port blocks exist for nftables only so far; with iptables they are refused with this reason.
            portFirewall = backend as? any PortFirewall ?? UnavailablePortFirewall(reason: "port blocks need nftables (\(backend.name) has none)")
            logger.info("firewall backend", metadata: ["backend": "\(firewall.name)", "dry_run": "\(dryRun)"])
        } catch {
            logger.error("no firewall backend: block_ip will fail", metadata: ["reason": "\(error)"])
            firewall = UnavailableFirewall(reason: error.description)
        }
        let blockGuard = BlockGuard(neverBlock: configuration.neverBlock, hubAddresses: hubAddresses, localAddresses: localAddresses)
        let blocks = BlockResponder(
            firewall: firewall, blockGuard: blockGuard, maxDuration: configuration.maxBlockDuration,
            minIPv6Prefix: configuration.minIPv6Prefix, dryRunRecord: record)
        let sessions = SessionKiller(grace: configuration.killGrace, dryRun: dryRun)
        let power = PowerControl(
            rebootArgv: PowerControl.resolve(.reboot, configured: configuration.rebootCommand, locator: locator),
            shutdownArgv: PowerControl.resolve(.shutdown, configured: configuration.shutdownCommand, locator: locator),
            runner: effectiveRunner,
            delay: configuration.powerDelay,
            dryRun: dryRun,
            logger: logger
        )
        // A dry run upgrades nothing: a recorded simulation has no plan to show, so the command is refused instead.
        let upgrades =
            dryRun ? nil : stateDirectory.map { PackageUpgrader(settings: .make(configuration, stateDirectory: $0), runner: runner, logger: logger) }
        let restarts = dryRun ? nil : ServiceRestarter(runner: runner)
        let killer = ProcessKiller(grace: configuration.killGrace, dryRun: dryRun)
        let listeners = ListenerResponder(decisions: listenerDecisions, killer: killer)
        let services = ServiceStopper(systemctl: locator.path(of: "systemctl"), runner: effectiveRunner, dryRun: dryRun)
        let portGuard = PortGuard(agentPort: protectedPorts.agent, hubPort: protectedPorts.hub, sshd: locator.path(of: "sshd"), runner: runner)
        let ports = PortBlockResponder(firewall: portFirewall, portGuard: portGuard, exempt: configuration.neverBlock, dryRun: dryRun)
        let identity = stateDirectory.map { directory in
            var identity = IdentityActionRunner(stateDirectory: directory, root: identityRoot, runner: runner)
            identity.dryRun = dryRun
            identity.responder.killGrace = configuration.killGrace
            return identity
        }
        return Executor.Responders(
            blocks: blocks, sessions: sessions, power: power, upgrades: upgrades, restarts: restarts, listeners: listeners, services: services,
            ports: ports, identity: identity)
    }
}
