import FoundationEssentials
import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `upgrade_packages`: pins checked, apt's simulation parsed and matched against the pins and the plan the
/// operator confirmed, then the upgrade started in the background (it takes minutes) and answered `started`; its end
/// is reported later by `UpgradeWatch` as an `upgrade_finished` alert.
///
/// Nothing runs unless every check passes: the pins are plain `name=version`, each pinned package is installed below
/// its pin, apt's simulation upgrades exactly the pinned packages to their pins (no removal, no new package, nothing
/// else) and hashes to the confirmed plan. A withdrawn candidate fails the simulation itself.
struct PackageUpgrader: Sendable {
    let settings: UpgradeSettings
    let runner: any CommandRunner
    let logger: Logger

    var ledger: UpgradeLedger { UpgradeLedger(directory: settings.directory) }

    /// Checks and, unless `simulate`, starts the upgrade of `pins` for `command`.
    func upgrade(_ command: ResponseCommand, pins texts: [String], planHash: String?, simulate: Bool) async -> ActionReport {
        let pins: [PackagePin]
        do {
            pins = try PackagePin.parse(texts)
        } catch {
            return .refused(error.description)
        }
        if let problem = checkInstalled(pins) { return problem }
        let plan: UpgradePlan
        switch await self.simulate(pins) {
        case .success(let simulated): plan = simulated
        case .failure(let refusal): return refusal.report
        }
        if simulate {
            var report = ActionReport.done(Self.summary(plan))
            report.plan = plan
            return report
        }
        guard let planHash else { return .refused("no plan hash: simulate first, then confirm the plan") }
        guard planHash == plan.hash else { return .refused("plan changed, rescan (the simulation now gives \(Self.summary(plan)))") }
        let running = ledger.records().records
        if let other = running.first {
            return .refused("an upgrade is already running (command \(other.commandId), started \(other.startedAt.formatted(.iso8601)))")
        }
        return await launch(command, pins: pins, plan: plan)
    }

    /// "3 packages upgraded, 0 new, 0 removed".
    static func summary(_ plan: UpgradePlan) -> String {
        "\(plan.upgrades.count) packages upgraded, \(plan.newPackages.count) new, \(plan.removals.count) removed"
    }

    /// Each pinned package installed, and below its pin; all of them already at their pins is `already_done`.
    private func checkInstalled(_ pins: [PackagePin]) -> ActionReport? {
        let installed: [InstalledPackage]
        do {
            installed = try DpkgStatusReader(path: settings.statusPath).read().packages
        } catch {
            return .failed(error.description)
        }
        var behind = 0
        for pin in pins {
            let matches = installed.filter { package in
                package.name == pin.name && (pin.package == pin.name || pin.package == "\(package.name):\(package.architecture)")
            }
            guard let current = matches.map(\.version).min() else { return .refused("\(pin.package) is not installed") }
            if current < pin.version {
                behind += 1
            } else if current > pin.version {
                return .refused("plan changed, rescan: \(pin.package) is already at \(current), newer than the pin \(pin.version)")
            }
        }
        return behind == 0 ? .alreadyDone("every pinned package is installed at its pin") : nil
    }

    /// apt's simulation of exactly these pins, refused when it does anything else.
    private func simulate(_ pins: [PackagePin]) async -> Result<UpgradePlan, ActionReportRefusal> {
        let plan: UpgradePlan
        switch await simulation(of: pins.map(\.description)) {
        case .success(let simulated): plan = simulated
        // `E: Version '…' for '…' was not found`: the candidate was withdrawn (or never offered).
        case .failure(let reason): return .failure(ActionReportRefusal(report: .refused("plan changed, rescan: apt-get -s: \(reason)")))
        }
        if let deviation = AptSimulation.deviation(of: plan, from: pins) {
            return .failure(ActionReportRefusal(report: .refused("plan changed, rescan: \(deviation)")))
        }
        return .success(plan)
    }

    /// apt's simulated `install --only-upgrade` of `packages` (pins or plain names), parsed; apt's failure otherwise.
    func simulation(of packages: [String]) async -> Result<UpgradePlan, SimulationFailure> {
        let output = await runner.run(
            ProgramInvocation(
                settings.aptGet, settings.aptArguments + ["-s", "-q", "install", "--only-upgrade"] + packages, timeout: .seconds(120),
                environment: settings.aptEnvironment))
        guard output.succeeded else { return .failure(SimulationFailure(description: output.failureReason)) }
        return .success(AptSimulation.plan(String(decoding: output.standardOutput, as: UTF8.self)))
    }

    /// Why apt's simulation failed (its own message).
    struct SimulationFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// The upgrade's argument vector: the pins only, old conffiles kept, a bounded wait for the dpkg lock.
    func upgradeArguments(_ pins: [String]) -> [String] {
        [settings.aptGet] + settings.aptArguments + [
            "-y", "-q", "-o", "Dpkg::Lock::Timeout=\(settings.lockTimeoutSeconds)", "-o", "Dpkg::Options::=--force-confold",
            "install", "--only-upgrade",
        ] + pins
    }

    /// Records the upgrade, then starts it; `started` once it runs.
    private func launch(_ command: ResponseCommand, pins: [PackagePin], plan: UpgradePlan) async -> ActionReport {
        var record = UpgradeRecord(commandId: command.id, alertId: command.alertId, pins: pins.map(\.description), startedAt: Date())
        let argv = upgradeArguments(record.pins)
        let useUnit: Bool
        switch settings.launch {
        case .automatic: useUnit = Self.systemdIsInit
        case .transientUnit: useUnit = true
        case .process: useUnit = false
        }
        do {
            if useUnit {
                record.unit = "vigil-upgrade-\(command.id.uuidString.lowercased()).service"
                try ledger.save(record)
                try await startUnit(record, argv: argv)
            } else {
                try ledger.save(record)
                try startProcess(&record, argv: argv)
            }
        } catch {
            ledger.remove(command.id)
            return .failed("\(error)")
        }
        logger.notice(
            "upgrade started",
            metadata: ["command": "\(command.id)", "pins": "\(record.pins.joined(separator: " "))", "unit": "\(record.unit ?? "-")"])
        return ActionReport(outcome: .started, detail: "upgrading: \(Self.summary(plan))", plan: plan)
    }

    /// `systemd-run --unit=… --collect`: outside the agent's own sandbox and cgroup, so it survives an agent restart.
    private func startUnit(_ record: UpgradeRecord, argv: [String]) async throws(UpgradeLedger.Failure) {
        let log = ledger.logPath(record.commandId)
        let environment = settings.aptEnvironment.sorted { $0.key < $1.key }.flatMap { ["--setenv=\($0.key)=\($0.value)"] }
        let arguments =
            [
                "--unit=\(record.unit ?? "")", "--collect", "--quiet", "--property=StandardOutput=append:\(log)",
                "--property=StandardError=append:\(log)",
            ]
            + environment + ["--"] + argv
        let output = await runner.run(ProgramInvocation(settings.systemdRun, arguments, timeout: .seconds(30)))
        guard output.succeeded else { throw UpgradeLedger.Failure(description: "systemd-run: \(output.failureReason)") }
    }

    /// A direct child with its output in the ledger's log; a thread reaps it and records its exit status.
    private func startProcess(_ record: inout UpgradeRecord, argv: [String]) throws(UpgradeLedger.Failure) {
        let log = ledger.logPath(record.commandId)
        let environment = ProcessCommandRunner.environment.merging(settings.aptEnvironment) { $1 }
        let child: SpawnedChild
        do {
            child = try ProgramSpawner.spawn(argv, environment: environment, standardOutput: .appendingFile(log), standardError: .appendingFile(log))
        } catch {
            throw UpgradeLedger.Failure(description: error.description)
        }
        record.pid = child.pid
        record.pidStartTime = settings.proc.processTicks(pid: child.pid)?.startTime
        try ledger.save(record)
        let ledger = ledger
        let id = record.commandId
        let logger = logger
        Task.detached {
            let exit = await DedicatedThread.run { child.waitForExit() }
            do {
                try ledger.saveExit(id, exit)
            } catch {
                logger.error("cannot record an upgrade's exit status", metadata: ["command": "\(id)", "reason": "\(error)"])
            }
        }
    }

    /// True when systemd runs the host (PID 1 is `systemd`): transient units are available.
    static var systemdIsInit: Bool {
        ProcFileSystem().read("1/comm", limit: 64).map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() == "systemd" } ?? false
    }
}

/// A refusal carried through a `Result`.
struct ActionReportRefusal: Error {
    let report: ActionReport
}
