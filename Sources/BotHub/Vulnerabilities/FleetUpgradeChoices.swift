import Foundation
import Logging
import Shared

/// What one fleet-view button upgrades: per host, the source packages and the fixed version each must reach.
struct FleetUpgradeTarget: Codable, Sendable, Equatable {
    struct Host: Codable, Sendable, Equatable {
        var agent: String
        var floors: [UpgradeFloor]
    }

    /// "CVE-2024-0001 openssl" or "web-1": how the messages name the target.
    var label: String
    var hosts: [Host]
}

/// The simulated plans of a fleet upgrade awaiting the second tap: per host, the exact pins and plan hash its agent
/// answered; `hash` covers them all and travels in the confirming button.
struct FleetUpgradePlans: Codable, Sendable, Equatable {
    struct Host: Codable, Sendable, Equatable {
        var agent: String
        var pins: [String]
        var planHash: String
    }

    var hosts: [Host]

    /// The first 16 hex digits of SHA-256 over the sorted `agent planHash` lines.
    var hash: String {
        UpgradePlan.hash(hosts.map { PlannedUpgrade(package: $0.agent, installed: $0.planHash, candidate: "") })
    }
}

/// The fleet view's Upgrade buttons ("Upgrade on all 7" per CVE, "Upgrade all" per host): the alert's Upgrade flow
/// (`ChoiceHandler+Upgrade`) run on several hosts at once. First tap (admin): each host's agent simulates upgrading the
/// named source packages to its candidate, refusing a candidate older than the fixed version (`plan_upgrade`); the
/// plans are shown with one confirming button. Second tap, by the same admin within the confirmation window: each
/// host gets `upgrade_packages` with the exact pins and plan hash its own simulation returned, concurrently, and the
/// message shows each host's outcome. The confirmed commands are stored first (`FleetUpgradeRun`): each host's
/// `upgrade_finished` is then shown in this message (`UpgradeEndFold.foldIntoFleet`), and a hub stopped mid-dispatch sends
/// the unanswered ones again at its next start (`recoverInterruptedUpgrades`).
struct FleetUpgradeChoices: Sendable {
    let handler: ChoiceHandler

    /// Hosts simulated or upgraded at once.
    static let dispatchWidth = 8

    private var store: HubStore { handler.store }
    private var catalogs: MessageCatalogs { handler.catalogs }

    func handle(_ press: Press, data: CallbackData, language: String) async {
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }
        guard handler.role(of: press) == .admin else {
            let refusal: MessageKey = handler.role(of: press) == nil ? .toastNotOperator : .toastNeedsAdmin
            await press.reply(text(refusal, ["action": text(.actionUpgradePackages, [:])]), true)
            await handler.audit("press_refused", by: press, alertID: nil, detail: "fleet upgrade \(data.shortID): needs role admin")
            return
        }
        let found = handler.storeErrors.attempt("read_fleet_upgrade", context: ["button": "\(data.shortID)"]) {
            try store.fleetUpgrade(shortID: data.shortID)
        }
        guard let found else {
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        guard let row = found, row.createdAt > handler.now().addingTimeInterval(-handler.settings.buttonLifetime) else {
            await press.reply(text(found == nil ? .toastInvalid : .toastExpired, [:]), false)
            return
        }
        switch data.choice {
        case .fleetUpgrade: await simulate(row, press: press, language: language)
        case .fleetConfirm(let hash): await confirm(row, hash: hash, press: press, language: language)
        case .fleetCancel:
            handler.storeErrors.perform("cancel_fleet_upgrade", context: ["button": "\(row.shortID)"]) {
                _ = try store.takeFleetUpgradePlans(shortID: row.shortID, userID: press.userID, hash: nil, now: handler.now())
            }
            await press.reply(text(.toastCancelled, [:]), false)
            await handler.audit("press", by: press, alertID: nil, detail: "cancelled fleet upgrade \(row.shortID)")
        default:
            await press.reply(text(.toastInvalid, [:]), false)
        }
    }

    /// The first tap: every host simulates; the plans are shown with the confirming button.
    private func simulate(_ row: StoredFleetUpgrade, press: Press, language: String) async {
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }
        await press.reply(text(.toastSimulating, [:]), false)
        await handler.audit("press", by: press, alertID: nil, detail: "fleet upgrade \(row.shortID) (\(row.target.label)): simulate")
        let requester = Operator(telegramUserId: press.userID, name: press.name)
        let hosts = row.target.hosts.count
        let results = await dispatchAll(row.target.hosts.map { ($0.agent, command(.planUpgrade(sources: $0.floors), by: requester, hosts: hosts)) }) {
            await handler.audit("command", by: press, alertID: nil, detail: $0)
        }
        var plans = FleetUpgradePlans(hosts: [])
        var lines: [String] = []
        for host in row.target.hosts {
            guard let result = results[host.agent] else { continue }
            guard result.outcome == .done, let plan = result.plan, !plan.upgrades.isEmpty else {
                lines.append(text(.fleetHostOutcome, ["host": host.agent, "outcome": Self.describe(result)]))
                continue
            }
            plans.hosts.append(FleetUpgradePlans.Host(agent: host.agent, pins: ChoiceHandler.pins(of: plan), planHash: plan.hash))
            let shown = ChoiceHandler.planText(plan, catalogs: catalogs, language: language)
            lines.append(text(.fleetHostPlan, ["host": host.agent, "plan": shown.summary]))
            lines += shown.lines
        }
        guard let chatID = press.chatID, let messageID = press.messageID else { return }
        guard !plans.hosts.isEmpty else {
            await handler.presenter.edit(
                chatID: chatID, messageID: messageID, html: ([text(.fleetNothing, ["target": row.target.label])] + lines).joined(separator: "\n"),
                keyboard: [])
            return
        }
        let saved = handler.storeErrors.perform("save_fleet_upgrade_plans", context: ["button": "\(row.shortID)"]) {
            try store.saveFleetUpgradePlans(
                shortID: row.shortID, plans: plans, userID: press.userID,
                expiresAt: handler.now().addingTimeInterval(handler.settings.confirmationWindow))
        }
        guard saved else {
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        await press.finished(.confirmationRequested)
        let header = text(
            .confirmFleetUpgrade,
            [
                "target": row.target.label, "hosts": catalogs.text(.pluralHosts, language: language, count: plans.hosts.count),
                "seconds": String(Int(handler.settings.confirmationWindow)),
            ])
        let keyboard = [
            [
                InlineButton(
                    text: text(.buttonConfirmUpgrade, [:]), callbackData: CallbackData(choice: .fleetConfirm(plans.hash), shortID: row.shortID).text),
                InlineButton(text: text(.buttonCancel, [:]), callbackData: CallbackData(choice: .fleetCancel, shortID: row.shortID).text),
            ]
        ]
        await handler.presenter.edit(chatID: chatID, messageID: messageID, html: ([header] + lines).joined(separator: "\n"), keyboard: keyboard)
    }

    /// The second tap: the pending plans of this admin, with this hash, unexpired; then each host upgrades exactly its
    /// simulated pins, and its agent refuses if its own simulation no longer gives the confirmed plan.
    private func confirm(_ row: StoredFleetUpgrade, hash: String, press: Press, language: String) async {
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }
        let taken = handler.storeErrors.attempt("take_fleet_upgrade_plans", context: ["button": "\(row.shortID)"]) {
            try store.takeFleetUpgradePlans(shortID: row.shortID, userID: press.userID, hash: hash, now: handler.now())
        }
        guard let taken else {
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        guard let plans = taken else {
            await press.reply(text(.toastConfirmExpired, [:]), true)
            await handler.audit(
                "press_refused", by: press, alertID: nil, detail: "fleet upgrade \(row.shortID) plan \(hash) not confirmed or expired")
            return
        }
        await press.reply(text(.toastWorking, ["action": text(.actionUpgradePackages, [:])]), false)
        await handler.audit("press", by: press, alertID: nil, detail: "fleet upgrade \(row.shortID) (\(row.target.label)): confirm \(hash)")
        let chosenAt = handler.now()
        let requester = Operator(telegramUserId: press.userID, name: press.name)
        let hosts = plans.hosts.count
        let run = FleetUpgradeRun(
            id: UUID().uuidString, chatID: press.chatID, messageID: press.messageID, label: row.target.label, chosenBy: press.name,
            chosenAt: chosenAt, revision: 0,
            hosts: plans.hosts.map {
                let upgrade = ResponseAction.upgradePackages(pins: $0.pins, planHash: $0.planHash, simulate: false)
                return FleetUpgradeRun.Host(agent: $0.agent, command: command(upgrade, by: requester, hosts: hosts), state: .sent)
            })
        // Recorded before anything is sent: a hub killed mid-dispatch sends these same ids again at its next start
        // (`recoverInterruptedUpgrades`), and each host's end finds this message by its command id.
        let recorded = handler.storeErrors.perform("record_fleet_upgrade_run", context: ["button": "\(row.shortID)"]) {
            try store.recordFleetUpgradeRun(run, now: chosenAt)
        }
        guard recorded else {
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        let results = await dispatchAll(run.hosts.map { ($0.agent, $0.command) }, recordingAnswers: true) {
            await handler.audit("command", by: press, alertID: nil, detail: $0)
        }
        for host in run.hosts {
            guard let result = results[host.agent] else { continue }
            handler.logger.info("\(press.name) chose upgrade_packages (fleet \(row.target.label)) on \(host.agent) → \(Self.describe(result))")
        }
        let answered = run.answered(by: results)
        await press.finished(.local(answered.html(text: text)))
        await show(answered)
    }

    /// Shows `run` in its message as the store now has it (a host's end may have arrived meanwhile); as answered here
    /// when the store cannot be read.
    func show(_ run: FleetUpgradeRun) async {
        let stored = handler.storeErrors.attempt("read_fleet_upgrade_run", context: ["run": "\(run.id)"]) { try store.fleetUpgradeRun(id: run.id) }
        let message = FleetUpgradeMessage(
            store: store, catalogs: catalogs, telegram: handler.telegram, roster: handler.roster, storeErrors: handler.storeErrors)
        do {
            try await message.show((stored ?? nil) ?? run)
        } catch {
            handler.logger.warning("cannot edit the fleet upgrade message", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
    }

    /// A command for one of `hosts` hosts, valid from now for `lifetime(hosts:commandLifetime:)`.
    private func command(_ action: ResponseAction, by requester: Operator, hosts: Int) -> ResponseCommand {
        ResponseCommand(
            alertId: nil, action: action, requestedBy: requester, issuedAt: handler.now(),
            expiresAt: handler.now().addingTimeInterval(Self.lifetime(hosts: hosts, commandLifetime: handler.settings.commandLifetime)))
    }

    /// Every command of a tap is made (and, for a confirm, recorded) before the first is sent, but they go out
    /// `dispatchWidth` at a time, each round as long as its slowest agent: the configured lifetime is given once per
    /// round, so that the last round's commands are not stale on arrival.
    static func lifetime(hosts: Int, commandLifetime: TimeInterval) -> TimeInterval {
        let rounds = max(1, (hosts + dispatchWidth - 1) / dispatchWidth)
        return commandLifetime * Double(rounds)
    }

    /// Sends each host its command, `dispatchWidth` at a time. Each command is audited through `auditCommand` (which
    /// names who asked), each answer here; with `recordingAnswers` each answer is also recorded on its fleet run.
    func dispatchAll(
        _ commands: [(agent: String, command: ResponseCommand)], recordingAnswers: Bool = false,
        auditCommand: @escaping @Sendable (String) async -> Void
    ) async -> [String: ResponseResult] {
        await withTaskGroup(of: (agent: String, sent: UUID, result: ResponseResult).self) { group in
            var results: [String: ResponseResult] = [:]
            var pending = commands[...]
            func startNext() {
                guard let next = pending.popFirst() else { return }
                group.addTask { [handler] in
                    await auditCommand("\(next.command.id) \(next.command.action.auditText) → \(next.agent)")
                    return (next.agent, next.command.id, await handler.dispatcher.dispatch(next.command, to: next.agent, now: handler.now()))
                }
            }
            for _ in 0..<Self.dispatchWidth { startNext() }
            while let (agent, sent, result) = await group.next() {
                await handler.audit(
                    "result", actor: agent, alertID: nil,
                    detail: "\(result.commandId) \(ChoiceHandler.describe(result.outcome)) \(result.detail ?? "")")
                // Not while the hub is stopping: a dispatch cut short by the shutdown ends as "not delivered", which
                // is no answer; left unrecorded, the next start sends the same id again (a genuine answer dropped
                // here costs only that: the agent answers the repeat from its journal).
                if recordingAnswers, !Task.isCancelled {
                    // By the id sent: an agent that could not be reached has no id of its own to answer with.
                    handler.storeErrors.perform("record_fleet_upgrade_answer", context: ["command": "\(sent)"]) {
                        try store.recordFleetUpgradeAnswer(commandID: sent, answer: Self.describe(result))
                    }
                }
                results[agent] = result
                startNext()
            }
            return results
        }
    }

    /// "started: upgrading: 2 packages upgraded, 0 new, 0 removed", "refused: apt would remove …".
    static func describe(_ result: ResponseResult) -> String {
        [ChoiceHandler.describe(result.outcome), result.detail].compactMap { $0 }.joined(separator: ": ")
    }
}
