import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// `upgrade_packages` against real apt and dpkg, offline: two `file:` repositories and a throw-away dpkg root
/// (`DPkg::Options::=--root`, its own status and admin directory, `APT_CONFIG` emptying `Dir::Etc::Parts`), so the
/// canary is really installed and really upgraded while the host's packages and apt state are never touched.
@Suite("Package upgrades with real apt", .serialized, .system)
struct PackageUpgraderSystemTests {
    typealias Package = AptSandbox.Package

    static let canaryOld = Package(name: "vigil-canary", version: "1.0-1", file: ("usr/lib/vigil-canary/canary-sleep", "/bin/sleep"))
    static let canaryNew = Package(name: "vigil-canary", version: "1.0-1+deb12u1", file: ("usr/lib/vigil-canary/canary-sleep", "/bin/sleep"))

    /// A sandbox with the canary 1.0-1 installed in its dpkg root and 1.0-1+deb12u1 in its security archive.
    static func canarySandbox(main: [Package] = [], security: [Package] = [canaryNew], installed: [String] = ["vigil-canary=1.0-1"]) async throws
        -> AptSandbox
    {
        try await AptSandbox.makeInstallable(main: [canaryOld] + main, security: security, installed: installed)
    }

    struct Agent {
        let executor: Executor
        let upgrader: PackageUpgrader
        let watch: UpgradeWatch
        let sink: RecordingSink
    }

    /// An executor with the upgrader pointed at the sandbox (direct process launch), and the watch that reports ends.
    static func agent(_ sandbox: AptSandbox, lockTimeout: Int = 120) throws -> Agent {
        let state = sandbox.root + "/agent-state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var settings = UpgradeSettings(directory: state + "/upgrades")
        settings.aptOptions = sandbox.optionItems
        settings.environment = sandbox.environment
        settings.launch = .process
        settings.installRoot = sandbox.installRoot
        settings.lockTimeoutSeconds = lockTimeout
        settings.rebootRequiredPath = state + "/reboot-required"
        let runner = ProcessCommandRunner()
        let logger = Logger(label: "test.upgrade")
        let upgrader = PackageUpgrader(settings: settings, runner: runner, logger: logger)
        var responders = Executor.Responders.fake()
        responders.upgrades = upgrader
        var configuration = ResponsesConfiguration()
        configuration.upgradePackages = true
        let executor = try Executor(configuration: configuration, responders: responders, journalPath: state + "/responses.journal")
        let sink = RecordingSink()
        var responses = ResponsesConfiguration()
        responses.restartServices = true
        let watch = UpgradeWatch(
            settings: settings, runner: runner, factory: AlertFactory(agentID: "web-1", hostname: "web-1", responses: responses), sink: sink,
            logger: logger)
        return Agent(executor: executor, upgrader: upgrader, watch: watch, sink: sink)
    }

    /// The pins of the scan's pending canary, as the alert carries them.
    static func pins(_ sandbox: AptSandbox) async throws -> (pins: [String], source: String) {
        var scanner = sandbox.scanner
        scanner.status = DpkgStatusReader(path: sandbox.statusPath)
        let scan = try await scanner.scan()
        let sources = SecurityUpdatesDetector.group(scan.pending)
        let pins = try #require(sources.first { $0.source == "vigil-canary" }?.pins)
        return (pins, "vigil-canary")
    }

    /// A canary sandbox, an agent for it, and the canary's pins from a scan.
    static func scenario(
        main: [Package] = [], security: [Package] = [canaryNew], installed: [String] = ["vigil-canary=1.0-1"], lockTimeout: Int = 120
    )
        async throws -> (sandbox: AptSandbox, agent: Agent, pins: [String])
    {
        let sandbox = try await canarySandbox(main: main, security: security, installed: installed)
        do {
            return (sandbox, try agent(sandbox, lockTimeout: lockTimeout), try await pins(sandbox).pins)
        } catch {
            sandbox.remove()
            throw error
        }
    }

    /// The plan of the agent's simulation of `pins`.
    static func simulate(_ agent: Agent, _ pins: [String]) async throws -> UpgradePlan {
        try #require(await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: nil, simulate: true))).plan)
    }

    /// Waits for the watch to report the end of an upgrade.
    static func finished(_ agent: Agent) async throws -> UpgradeFinishedEvidence {
        try await waitFor("the upgrade's end", timeout: .seconds(120), poll: .milliseconds(200)) { () async -> UpgradeFinishedEvidence? in
            await agent.watch.poll()
            for alert in agent.sink.alerts {
                if case .upgradeFinished(let evidence) = alert.subject { return evidence }
            }
            return nil
        }
    }

    static func installedVersion(_ sandbox: AptSandbox, _ name: String) throws -> String? {
        try DpkgStatusReader(path: sandbox.statusPath).read().packages.first { $0.name == name }?.version.description
    }

    @Test(
        "the scan finds the canary; simulate, confirm: the canary is upgraded for real and the end reports done with the versions",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func upgradesTheCanary() async throws {
        let (sandbox, agent, pins) = try await Self.scenario()
        defer { sandbox.remove() }
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
        #expect(pins == ["vigil-canary=1.0-1+deb12u1"], "the scan finds the canary pending, with its pins")

        let simulation = await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: nil, simulate: true)))
        #expect(simulation.outcome == .done)
        #expect(simulation.detail == "1 packages upgraded, 0 new, 0 removed")
        let plan = try #require(simulation.plan)
        #expect(plan.upgrades == [PlannedUpgrade(package: "vigil-canary", installed: "1.0-1", candidate: "1.0-1+deb12u1")])
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1", "a simulation installs nothing")

        let command = ResponseCommand.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false))
        let started = await agent.executor.execute(command)
        #expect(started.outcome == .started, "\(started)")
        let end = try await Self.finished(agent)
        #expect(end.commandId == command.id)
        #expect(end.alertId == command.alertId)
        #expect(end.outcome == .done, "\(end)")
        #expect(end.installed == ["vigil-canary 1.0-1+deb12u1"])
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1+deb12u1")
        #expect(FileManager.default.fileExists(atPath: sandbox.installRoot + "/usr/lib/vigil-canary/canary-sleep"))
        #expect(agent.upgrader.ledger.records().records.isEmpty, "the ledger forgets a reported upgrade")
        // The same command again runs nothing: the journal answers.
        let repeated = await agent.executor.execute(command)
        #expect(repeated.outcome == .started)
    }

    @Test(
        "a process still running a replaced file of the upgraded package is named in a restart_needed alert",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func restartFollowUp() async throws {
        let (sandbox, agent, pins) = try await Self.scenario()
        defer { sandbox.remove() }
        let sleeper = try ProgramSpawner.spawn([sandbox.installRoot + "/usr/lib/vigil-canary/canary-sleep", "300"])
        defer { _ = sleeper.stop(grace: .milliseconds(100)) }
        let plan = try await Self.simulate(agent, pins)
        #expect(await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false))).outcome == .started)
        #expect(try await Self.finished(agent).outcome == .done)
        let restart = try #require(
            agent.sink.alerts.compactMap { alert -> (RestartNeededEvidence, [AlertAction])? in
                guard case .restartNeeded(let evidence) = alert.subject else { return nil }
                return (evidence, alert.actions)
            }.first)
        #expect(restart.0.processes.contains { $0.hasSuffix("[\(sleeper.pid)]") } || !restart.0.units.isEmpty, "\(restart.0)")
        #expect(restart.0.packages == ["vigil-canary"])
    }

    @Test(
        "a plan that would remove a package is refused and nothing is installed",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func removalRefused() async throws {
        var conflicting = Self.canaryNew
        conflicting.fields = "Conflicts: vigil-bystander\n"
        let bystander = Package(name: "vigil-bystander", version: "1.0-1")
        let sandbox = try await Self.canarySandbox(main: [bystander], security: [conflicting], installed: ["vigil-canary=1.0-1", "vigil-bystander"])
        defer { sandbox.remove() }
        let agent = try Self.agent(sandbox)
        for simulate in [true, false] {
            let result = await agent.executor.execute(
                .make(.upgradePackages(pins: ["vigil-canary=1.0-1+deb12u1"], planHash: simulate ? nil : "0000000000000000", simulate: simulate)))
            #expect(result.outcome == .refused(reason: "plan changed, rescan: apt would remove vigil-bystander"), "\(result)")
        }
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
        #expect(try Self.installedVersion(sandbox, "vigil-bystander") == "1.0-1")
        #expect(agent.upgrader.ledger.records().records.isEmpty)
    }

    @Test(
        "a candidate withdrawn after the simulation is refused: plan changed, rescan",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func withdrawnCandidate() async throws {
        let (sandbox, agent, pins) = try await Self.scenario()
        defer { sandbox.remove() }
        let plan = try await Self.simulate(agent, pins)
        try await sandbox.publishSecurity([])
        let result = await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false)))
        guard case .refused(let reason) = result.outcome else {
            Issue.record("expected a refusal, got \(result)")
            return
        }
        #expect(reason.hasPrefix("plan changed, rescan"))
        #expect(reason.contains("not found"), "apt's own reason is kept: \(reason)")
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
    }

    @Test(
        "a plan hash that no longer matches (another version installed meanwhile) is refused",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func staleHash() async throws {
        let (sandbox, agent, pins) = try await Self.scenario()
        defer { sandbox.remove() }
        let stale = UpgradePlan(upgrades: [PlannedUpgrade(package: "vigil-canary", installed: "0.9-1", candidate: "1.0-1+deb12u1")]).hash
        let result = await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: stale, simulate: false)))
        #expect(result.outcome == .refused(reason: "plan changed, rescan (the simulation now gives 1 packages upgraded, 0 new, 0 removed)"))
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
    }

    @Test(
        "a held dpkg lock makes the upgrade wait for the lock timeout, then fail with apt's reason",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func heldLock() async throws {
        let (sandbox, agent, pins) = try await Self.scenario(lockTimeout: 3)
        defer { sandbox.remove() }
        let plan = try await Self.simulate(agent, pins)

        // apt takes dpkg's frontend lock with fcntl: a write lock held by this process keeps it out.
        let lockPath = sandbox.installRoot + "/var/lib/dpkg/lock-frontend"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        #expect(fcntl(descriptor, F_SETLK, &lock) == 0)

        let began = ContinuousClock.now
        #expect(await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false))).outcome == .started)
        let end = try await Self.finished(agent)
        #expect(ContinuousClock.now - began >= .seconds(3), "apt waited for the lock")
        guard case .failed(let reason) = end.outcome else {
            Issue.record("expected a failure, got \(end)")
            return
        }
        #expect(reason.contains("apt-get exited with status 100"), "\(reason)")
        #expect(reason.contains("not installed: vigil-canary (wanted 1.0-1+deb12u1)"), "\(reason)")
        #expect(end.outputTail?.contains("Unable to acquire the dpkg frontend lock") == true, "\(end.outputTail ?? "")")
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
    }

    @Test(
        "an upgrade whose agent died (apt orphaned, no exit status seen) is reported by the next agent from the ledger",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func reportedAfterRestart() async throws {
        let (sandbox, first, pins) = try await Self.scenario()
        defer { sandbox.remove() }
        let plan = try await Self.simulate(first, pins)
        let state = sandbox.root + "/agent-state"

        // The "agent" here is a shell that launches apt in the background the way the agent does (output to the
        // ledger's log, the record written first), then is killed with SIGKILL: apt is orphaned and nobody reaps it
        // for the agent, so the next agent must find its end from the ledger and /proc alone.
        let id = UUID()
        let ledger = first.upgrader.ledger
        try ledger.save(UpgradeRecord(commandId: id, alertId: nil, pins: pins, startedAt: Date()))
        let argv = first.upgrader.upgradeArguments(pins)
        let environment = ProcessCommandRunner.environment.merging(first.upgrader.settings.aptEnvironment) { $1 }
        let script = "\"$@\" >>'\(ledger.logPath(id))' 2>&1 &\necho $! > '\(state)/apt.pid'\nexec sleep 300\n"
        let shell = try ProgramSpawner.spawn(["/bin/sh", "-c", script, "sh"] + argv, environment: environment)
        let aptPID = try await waitFor("apt's pid") { () -> Int32? in
            (try? String(contentsOfFile: state + "/apt.pid", encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        var record = UpgradeRecord(commandId: id, alertId: nil, pins: pins, startedAt: Date())
        record.pid = aptPID
        record.pidStartTime = ProcFileSystem().processTicks(pid: aptPID)?.startTime
        try ledger.save(record)
        kill(shell.pid, SIGKILL)
        _ = shell.waitForExit()

        let second = try Self.agent(sandbox)
        let end = try await Self.finished(second)
        #expect(end.commandId == id)
        #expect(end.outcome == .done, "\(end)")
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1+deb12u1")
        #expect(plan.upgrades.count == 1)
    }
}
