import Foundation
import Logging
import Shared

extension FleetUpgradeChoices {
    /// Finishes every fleet upgrade a previous run of the hub left mid-dispatch (killed after storing the commands,
    /// before recording every answer): each host without a recorded answer is sent its command again with the same
    /// id, which its agent answers from its journal instead of upgrading twice, and the fleet message shows the
    /// outcomes. Runs once at start (`ChoiceRecovery`); returns how many fleet upgrades it found.
    @discardableResult
    func recoverInterruptedUpgrades() async -> Int {
        // A confirm this run of the hub is dispatching right now is not interrupted: only runs chosen before now are.
        let startedAt = handler.now()
        guard
            let runs = handler.storeErrors.attempt(
                "read_interrupted_fleet_upgrades", { try handler.store.interruptedFleetUpgradeRuns(chosenBefore: startedAt) })
        else { return 0 }
        for run in runs {
            await recover(run)
        }
        return runs.count
    }

    private func recover(_ run: FleetUpgradeRun) async {
        let unanswered = run.hosts.filter { $0.state == .sent }
        handler.logger.notice(
            "sending again the commands of a fleet upgrade a previous run left unanswered",
            metadata: ["target": "\(run.label)", "hosts": "\(unanswered.map(\.agent).joined(separator: ","))"])
        let results = await dispatchAll(unanswered.map { ($0.agent, $0.command) }, recordingAnswers: true) { [handler] detail in
            await handler.audit("command", actor: run.chosenBy, alertID: nil, detail: "\(detail) (sent again after a restart)")
        }
        for host in unanswered {
            guard let result = results[host.agent] else { continue }
            handler.logger.info("upgrade_packages (fleet \(run.label), sent again after a restart) on \(host.agent) → \(Self.describe(result))")
        }
        await show(run.answered(by: results))
    }
}
