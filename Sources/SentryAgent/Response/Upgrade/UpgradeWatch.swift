import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared
import Synchronization

/// Reports how each started upgrade ended: polls the ledger, and when an upgrade's unit or process is gone, reads
/// dpkg's status to see whether every pin is installed, then puts an `upgrade_finished` alert (and, after a success
/// that left services on replaced files or asked for a reboot, a `restart_needed` alert) in the outbox. An upgrade
/// that ended while the agent was down is found in the ledger at the next start and reported then.
struct UpgradeWatch: Service, CustomStringConvertible {
    let settings: UpgradeSettings
    let runner: any CommandRunner
    let factory: AlertFactory
    let sink: any AlertSink
    let logger: Logger
    var interval: Duration = .seconds(1)
    /// An upgrade still running after this is reported failed (and forgotten): something holds it forever.
    var giveUpAfter: TimeInterval = 6 * 3600

    var description: String { "UpgradeWatch" }

    private var ledger: UpgradeLedger { UpgradeLedger(directory: settings.directory) }

    /// Upgrades whose process was seen gone before its exit status was recorded. This agent's own child disappears
    /// when it is reaped, a moment before the reaper writes the status, so such an end is concluded at the next look
    /// (a second later), with the status then on file; a process of an earlier agent has no status to wait for.
    private let goneWithoutStatus = SeenOnce()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await poll()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One look at every recorded upgrade; reports and forgets the ended ones.
    func poll() async {
        let (records, unreadable) = ledger.records()
        for problem in unreadable { logger.error("unreadable upgrade record", metadata: ["reason": "\(problem)"]) }
        for record in records {
            guard let exit = await ended(record) else { continue }
            await report(record, exit: exit)
        }
    }

    /// Nil while the upgrade runs; how it ended otherwise (`nil` inside when the agent did not see the exit status).
    private func ended(_ record: UpgradeRecord) async -> ChildExit?? {
        if Date().timeIntervalSince(record.startedAt) > giveUpAfter { return .some(nil) }
        if let unit = record.unit {
            let output = await runner.run(ProgramInvocation(settings.systemctl, ["show", "--property=ActiveState", "--value", "--", unit]))
            guard output.succeeded else { return nil }
            let state = String(decoding: output.standardOutput, as: UTF8.self).trimmingWhitespace()
            return ["active", "activating", "deactivating", "reloading"].contains(state) ? nil : .some(nil)
        }
        if let exit = ledger.exit(record.commandId) { return .some(exit) }
        guard let pid = record.pid else {
            // Recorded before apt was started; the pid follows at once. Without one after a minute, apt never started.
            return Date().timeIntervalSince(record.startedAt) < 60 ? nil : .some(nil)
        }
        // Not our child any more (the agent restarted): gone, or a different process under a reused pid, or a zombie.
        guard let process = settings.proc.processTicks(pid: pid), process.startTime == record.pidStartTime, process.state != "Z" else {
            if let exit = ledger.exit(record.commandId) { return .some(exit) }
            return goneWithoutStatus.seenBefore(record.commandId) ? .some(nil) : nil
        }
        return nil
    }

    private func report(_ record: UpgradeRecord, exit: ChildExit?) async {
        let outcome = verify(record, exit: exit)
        let evidence = UpgradeFinishedEvidence(
            commandId: record.commandId, alertId: record.alertId, outcome: outcome.outcome, installed: outcome.installed,
            outputTail: outcome.outcome == .done ? nil : ledger.outputTail(record.commandId))
        let now = Int64(Date().timeIntervalSince1970)
        let origin = LineOrigin(stream: FNV1a.hash("upgrade_finished " + record.commandId.uuidString), offset: 0)
        await sink.submit(
            factory.alert(
                for: Detection(
                    kind: .upgradeFinished, severity: outcome.outcome == .done ? .info : .warning, subject: .upgradeFinished(evidence),
                    observedAt: now, firstSeen: now, lastSeen: now, origin: origin)))
        logger.notice("upgrade ended", metadata: ["command": "\(record.commandId)", "outcome": "\(outcome.outcome.name)"])
        if outcome.outcome == .done {
            let packages = record.pins.map { String($0.split(separator: "=", maxSplits: 1)[0]) }
            if let restart = await RestartCheck(settings: settings, runner: runner).check(packages: packages) {
                let origin = LineOrigin(stream: FNV1a.hash("restart_needed " + record.commandId.uuidString), offset: 0)
                await sink.submit(
                    factory.alert(
                        for: Detection(
                            kind: .restartNeeded, severity: .warning, subject: .restartNeeded(restart), observedAt: now, firstSeen: now,
                            lastSeen: now, origin: origin)))
            }
        }
        ledger.remove(record.commandId)
    }

    /// Done when dpkg has every pin installed; failed otherwise, with the exit status when known.
    private func verify(_ record: UpgradeRecord, exit: ChildExit?) -> (outcome: ResponseResult.Outcome, installed: [String]) {
        let packages: [InstalledPackage]
        do {
            packages = try DpkgStatusReader(path: settings.statusPath).read().packages
        } catch {
            return (.failed(reason: error.description), [])
        }
        var installed: [String] = []
        var missing: [String] = []
        for text in record.pins {
            let pin: PackagePin
            do {
                pin = try PackagePin(text)
            } catch {
                // Checked before the upgrade started; a record edited since is reported, not trusted.
                missing.append(error.description)
                continue
            }
            let versions = packages.filter { $0.name == pin.name }.map(\.version.description)
            installed.append("\(pin.package) \(versions.isEmpty ? "-" : versions.joined(separator: ","))")
            if !versions.contains(pin.version.description) { missing.append("\(pin.package) (wanted \(pin.version))") }
        }
        guard missing.isEmpty else {
            let how: String
            switch exit {
            case .exited(let status)?: how = "apt-get exited with status \(status)"
            case .signalled(let signal)?: how = "apt-get was killed by signal \(signal)"
            case nil: how = "apt-get ended"
            }
            return (.failed(reason: "\(how); not installed: \(missing.joined(separator: ", "))"), installed)
        }
        return (.done, installed)
    }
}

/// Remembers ids across looks: `seenBefore` is false the first time an id is shown, true afterwards.
final class SeenOnce: Sendable {
    private let ids = Mutex<Set<UUID>>([])

    func seenBefore(_ id: UUID) -> Bool {
        ids.withLock { !$0.insert(id).inserted }
    }
}
