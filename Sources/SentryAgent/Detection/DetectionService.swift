import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's detectors as one service: SSH (auth log file or journald), nginx 404s (access logs) and the CPU,
/// each alert handed to the `AlertSink` before the log position that produced it is saved.
///
/// Log followers run on threads of their own; the CPU sampler is a task sleeping on the injected clock. On graceful
/// shutdown every follower finishes its batch, saves its position and returns.
struct DetectionService: Service {
    let configuration: DetectorsConfiguration
    let stateDirectory: String
    let factory: AlertFactory
    let sink: any AlertSink
    let logger: Logger
    /// The listener baseline's one writer, shared with the responses (nil: the detector makes its own).
    var listenerDecisions: ListenerDecisions? = nil
    /// Unix seconds now.
    var wallClock: @Sendable () -> Int64 = { Int64(time(nil)) }
    /// The account tools' and sudo's lines of the SSH log, read by the identity alerts ("by alice via sudo usermod…").
    var accountLog = AccountLogCorrelator()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            let sshPlan = Self.sshSourcePlan(configuration.ssh) { access($0, R_OK) == 0 }
            logger.info("\(DetectorInputs.startLine(configuration, sshJournal: sshPlan.useJournal, sshPaths: sshPlan.paths))")
            await withTaskGroup(of: Void.self) { group in
                if let ssh = sshSource(sshPlan) {
                    group.addTask { await runFollower(name: "vigil-ssh", ssh) }
                }
                if configuration.http404.enabled, !configuration.http404.paths.isEmpty {
                    group.addTask { await runFollower(name: "vigil-http404") { stop in runHTTP404(stop: stop) } }
                }
                if configuration.cpu.enabled {
                    group.addTask { await runCPU() }
                }
                if configuration.listeners.enabled {
                    group.addTask { await runListeners() }
                }
                if configuration.packages.enabled {
                    group.addTask { await runPackages() }
                }
                if configuration.identity.enabled {
                    group.addTask { await runIdentity() }
                }
                // The SSH files even when `auto` fell back to journald: an auth.log it may not read is worth a word.
                let sshFiles = configuration.ssh.isActive && configuration.ssh.source != .journald ? configuration.ssh.paths : []
                let files = sshFiles + (configuration.http404.enabled ? configuration.http404.paths : [])
                if !files.isEmpty {
                    group.addTask { await watchReadability(of: files) }
                }
                // Stay up until shutdown even with nothing to watch (or a detector that gave up on a bad setting):
                // a service group treats a service that returns early as a failure and stops the whole agent.
                group.addTask {
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                }
            }
        }
    }

    /// Runs `body` on its own thread; a cancelled task (graceful shutdown) signals it to stop.
    private func runFollower(name: String, _ body: @escaping @Sendable (FollowerStopSignal) -> Void) async {
        let stop = FollowerStopSignal()
        await withTaskCancellationHandler {
            await FollowerThread.run(name: name) { body(stop) }
        } onCancel: {
            stop.stop()
        }
    }

    // MARK: - SSH

    /// The SSH follower for the configured source, or nil if SSH detection is off.
    private func sshSource(_ plan: (useJournal: Bool, paths: [String])) -> (@Sendable (FollowerStopSignal) -> Void)? {
        let ssh = configuration.ssh
        guard ssh.isActive else { return nil }
        let (useJournal, paths) = plan
        return { stop in
            let consumer = makeSSHConsumer()
            if useJournal {
                let follower = JournalFollower(
                    journalctl: ssh.journalctl, matches: JournalFollower<SSHLogConsumer>.sshMatches, startAtEnd: configuration.follow.startAt == .end,
                    pollInterval: configuration.follow.pollInterval,
                    store: FileFollowerStateStore(stateDirectory: stateDirectory, source: "ssh-journal"),
                    consumer: consumer, logger: logger)
                follower.run(stop: stop)
            } else {
                let follower = LogFollower(
                    paths: paths, options: followerOptions(), store: FileFollowerStateStore(stateDirectory: stateDirectory, source: "ssh"),
                    consumer: consumer, logger: logger)
                follower.run(stop: stop)
            }
        }
    }

    /// Where SSH lines come from: `auto` follows the default files that exist now and falls back to journald when
    /// none does (Debian 12 without rsyslog); `file`, and `auto` with `paths` written in the configuration, follow all
    /// of them, waiting for those that do not exist yet (an operator who named a file means that file).
    static func sshSourcePlan(
        _ ssh: DetectorsConfiguration.SSHConfiguration, isReadable: (String) -> Bool
    ) -> (useJournal: Bool, paths: [String]) {
        switch ssh.source {
        case .auto where ssh.pathsAreExplicit:
            return (false, ssh.paths)
        case .auto:
            let existing = ssh.paths.filter(isReadable)
            return (existing.isEmpty, existing)
        case .file:
            return (false, ssh.paths)
        case .journald:
            return (true, [])
        }
    }

    private func makeSSHConsumer() -> SSHLogConsumer {
        let ssh = configuration.ssh
        let store = KnownLoginStore(path: stateDirectory + "/known-logins.tsv", capacity: ssh.maxKnownLogins)
        let bruteForce = SSHBruteForceDetector(configuration: Self.sshBruteForceConfiguration(configuration))
        var consumer = SSHLogConsumer(
            sessions: ssh.sessions ? SSHSessionDetector(knownLogins: store.load()) : nil,
            bruteForce: ssh.bruteForce ? bruteForce : nil,
            sessionProcesses: SSHSessionProcesses(proc: ProcFileSystem()),
            knownLoginStore: store,
            outlet: outlet(),
            wallClock: wallClock,
            utcOffset: Self.localUTCOffset()
        )
        consumer.accountLog = configuration.identity.enabled ? accountLog : nil
        return consumer
    }

    // MARK: - HTTP 404

    private func runHTTP404(stop: FollowerStopSignal) {
        let http = configuration.http404
        guard let detector = Self.http404Detector(configuration) else {
            logger.error("unusable log_format; the 404 detector is off", metadata: ["log_format": "\(http.logFormat)"])
            return
        }
        let consumer = HTTP404LogConsumer(detector: detector, outlet: outlet(), wallClock: wallClock)
        let follower = LogFollower(
            paths: http.paths, options: followerOptions(), store: FileFollowerStateStore(stateDirectory: stateDirectory, source: "http404"),
            consumer: consumer, logger: logger)
        follower.run(stop: stop)
    }

    /// The 404 detector for `detectors`, or nil if its log format is unusable (refused by the config reader first).
    static func http404Detector(_ detectors: DetectorsConfiguration, parsesEveryLine: Bool = false) -> HTTP404Detector? {
        let http = detectors.http404
        let behindProxy = !http.trustedProxies.isEmpty
        guard let format = NginxLogFormat(http.logFormat, forwardedFor: behindProxy), let plainFormat = NginxLogFormat(http.logFormat) else {
            return nil
        }
        var configuration = HTTP404Detector.Configuration(
            windowSeconds: http.window.components.seconds, warningCount: http.warningCount, criticalCount: http.criticalCount,
            cooldownSeconds: http.cooldown.components.seconds, maxTrackedAddresses: http.maxTrackedAddresses)
        configuration.ipv6Prefix = detectors.ipv6Prefix
        configuration.trustedProxies = TrustedProxies(http.trustedProxies)
        configuration.parsesEveryLine = parsesEveryLine
        return HTTP404Detector(configuration: configuration, format: format, plainFormat: plainFormat)
    }

    static func sshBruteForceConfiguration(_ detectors: DetectorsConfiguration) -> SSHBruteForceDetector.Configuration {
        let ssh = detectors.ssh
        return SSHBruteForceDetector.Configuration(
            capacity: ssh.bucketCapacity, leakIntervalSeconds: ssh.leakInterval.components.seconds, cooldownSeconds: ssh.cooldown.components.seconds,
            maxUsersListed: ssh.maxUsersListed, ipv6Prefix: detectors.ipv6Prefix)
    }

    // MARK: - CPU

    private func runCPU() async {
        let cpu = configuration.cpu
        var monitor = CPUMonitor(
            proc: ProcFileSystem(root: cpu.procRoot), users: SystemUserNames(),
            detector: CPUSustainedDetector(
                configuration: .init(
                    windowSeconds: cpu.window.components.seconds, warningPercent: Double(cpu.warningPercent),
                    criticalPercent: Double(cpu.criticalPercent),
                    hysteresisPoints: Double(cpu.hysteresisPoints), topProcesses: cpu.topProcesses)))
        while !Task.isCancelled {
            if let detection = monitor.tick(time: wallClock()) {
                let alert = factory.alert(for: detection)
                Self.log(alert, to: logger)
                await sink.submit(alert)
            }
            do {
                try await Task.sleep(for: cpu.interval)
            } catch {
                return
            }
        }
    }

    // MARK: - Listeners

    private func runListeners() async {
        let listeners = configuration.listeners
        var monitor = ListenerMonitor(
            scanner: ListenerScanner.allNamespaces(),
            configuration: .init(alertExisting: listeners.alertExisting, ephemeralPorts: ListenerIdentity.ephemeralPorts()),
            decisions: listenerDecisions ?? ListenerDecisions(store: ListenerBaselineStore(stateDirectory: stateDirectory)), logger: logger)
        var polls = 0
        var dnatFailing = false
        while !Task.isCancelled {
            // The nat table changes when a container publishes a port: read every 30 polls, not at each.
            if polls % 30 == 0 {
                switch await DNATRule.load() {
                case .success(let rules):
                    monitor.setPublishing(rules)
                    dnatFailing = false
                case .failure(let error):
                    if !dnatFailing { logger.warning("cannot read DNAT rules; published ports are not reported", metadata: ["error": "\(error)"]) }
                    dnatFailing = true
                }
            }
            polls += 1
            for detection in monitor.tick(time: wallClock()) {
                let alert = factory.alert(for: detection)
                Self.log(alert, to: logger)
                await sink.submit(alert)
            }
            do {
                try await Task.sleep(for: listeners.interval)
            } catch {
                return
            }
        }
    }

    // MARK: - Shared

    private func outlet() -> AlertSinkOutlet {
        let logger = logger
        return AlertSinkOutlet(factory: factory, sink: sink) { alert in Self.log(alert, to: logger) }
    }

    /// The alert's own log line, naming its subject (`ssh_bruteforce warning 198.51.100.4 6 attempts/10s`).
    static func log(_ alert: Alert, to logger: Logger) {
        logger.notice(
            "\(AlertLogLine.text(alert))",
            metadata: ["kind": "\(alert.kind.rawValue)", "severity": "\(alert.severity.rawValue)", "id": "\(alert.id)"])
    }

    /// Warns once for each configured log file that exists but cannot be read, at start and whenever one becomes
    /// unreadable later; its follower would otherwise wait on it in silence.
    private func watchReadability(of paths: [String]) async {
        var inputs = UnreadableInputs()
        while !Task.isCancelled {
            for change in inputs.check(paths, probe: UnreadableInputs.probe) {
                switch change {
                case .unreadable(let path, let reason):
                    logger.warning("cannot read \(path): \(reason) (give the agent read access, e.g. the adm group)", metadata: ["path": "\(path)"])
                case .readable(let path):
                    logger.info("\(path) is readable again", metadata: ["path": "\(path)"])
                }
            }
            do {
                try await Task.sleep(for: Self.readabilityInterval)
            } catch {
                return
            }
        }
    }

    static let readabilityInterval: Duration = .seconds(10)

    private func followerOptions() -> LogFollowerOptions {
        LogFollowerOptions(
            maxLineBytes: configuration.follow.maxLineBytes, pollInterval: configuration.follow.pollInterval,
            rotationGrace: configuration.follow.rotationGrace, startAtEnd: configuration.follow.startAt == .end)
    }

    /// The host's current offset from UTC in seconds, for year-less syslog times written in local time.
    static func localUTCOffset() -> Int64 {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return 0 }
        return Int64(parts.tm_gmtoff)
    }
}

extension DetectionService: CustomStringConvertible {
    /// How the service group names this service in its logs: no configuration, no secrets.
    var description: String { "DetectionService" }
}
