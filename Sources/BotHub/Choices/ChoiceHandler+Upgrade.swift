import Foundation
import Shared

/// The buttons of a `security_updates` alert: Upgrade <source> / Upgrade all (a simulation first, whose plan a second
/// tap confirms), Show all (the full list as a CSV document) and Snooze 7 d.
extension ChoiceHandler {
    /// How long Snooze hides an agent's security updates in a chat.
    static let snoozeDuration: TimeInterval = 7 * 86_400

    /// The pins of the source package at `index` of the alert's list, or of every listed one (nil); held sources and
    /// those from agents that sent no pins are left out. Nil when nothing is left.
    static func upgradePins(_ index: Int?, of alert: Alert) -> (pins: [String], label: String)? {
        guard case .securityUpdates(let updates) = alert.subject else { return nil }
        let upgradable = updates.sources.filter { !$0.held && !($0.pins ?? []).isEmpty }
        if let index {
            guard index < updates.sources.count, let source = upgradable.first(where: { $0.source == updates.sources[index].source }) else {
                return nil
            }
            return (source.pins ?? [], source.source)
        }
        let pins = upgradable.flatMap { $0.pins ?? [] }
        return pins.isEmpty ? nil : (pins, String(upgradable.count))
    }

    /// The first tap: the agent simulates, the plan is shown with a confirm button carrying its hash.
    func simulateUpgrade(_ index: Int?, stored: StoredAlert, alert: Alert, press: Press, language: String) async {
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }
        guard let target = Self.upgradePins(index, of: alert) else {
            await press.reply(text(.toastInvalid, [:]), false)
            return
        }
        await press.reply(text(.toastSimulating, [:]), false)
        let command = ResponseCommand(
            simulatingUpgradeOf: target.pins, on: alert, by: Operator(telegramUserId: press.userID, name: press.name), issuedAt: now(),
            lifetime: settings.commandLifetime)
        await audit("command", by: press, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
        let result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        await audit(
            "result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        guard result.outcome == .done, let plan = result.plan, let chatID = press.chatID else {
            await press.finished(.dispatched(result))
            let values = ["action": text(.actionUpgradePackages, [:]), "user": press.name, "time": MessageTime.format(now())]
            await presenter.refresh(stored, alert: alert, extra: { catalogs.outcomeLine(result, values: values, language: $0) }, keyboard: .offered)
            return
        }
        let choice = CallbackData.confirmationChoice(index, planHash: plan.hash)
        let saved = await storeErrors.perform("save_confirmation", context: ["alert": "\(stored.id)"]) {
            try await store.saveConfirmation(
                alertID: stored.id, choice: choice, userID: press.userID, expiresAt: now().addingTimeInterval(settings.confirmationWindow))
        }
        guard saved else {
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        await press.finished(.dispatched(result))
        guard
            let messageID = await storeErrors.attempt(
                "read_message_id", context: ["alert": "\(stored.id)"], { try await store.messageID(alertID: stored.id, chatID: chatID) }),
            let messageID
        else { return }
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: stored.shortId, language: language)
        let shown = Self.planText(plan, catalogs: catalogs, language: language)
        let lines =
            [
                text(
                    .confirmUpgrade,
                    ["target": target.label, "host": alert.hostname, "seconds": String(Int(settings.confirmationWindow)), "plan": shown.summary])
            ] + shown.lines
        let keyboard = [
            [
                InlineButton(
                    text: text(.buttonConfirmUpgrade, [:]),
                    callbackData: CallbackData(choice: .confirmUpgrade(index, planHash: plan.hash), shortID: stored.shortId).text),
                InlineButton(text: text(.buttonCancel, [:]), callbackData: CallbackData(choice: .cancel, shortID: stored.shortId).text),
            ]
        ]
        await presenter.edit(chatID: chatID, messageID: messageID, html: rendered.html + "\n\n" + lines.joined(separator: "\n"), keyboard: keyboard)
    }

    /// A simulated plan as the confirmations show it (an alert's Upgrade and the fleet view's): its summary and the
    /// first ten packages with their versions.
    static func planText(_ plan: UpgradePlan, catalogs: MessageCatalogs, language: String) -> (summary: String, lines: [String]) {
        let summary = catalogs.text(
            .upgradePlan, language: language,
            ["upgraded": String(plan.upgrades.count), "new": String(plan.newPackages.count), "removed": String(plan.removals.count)])
        let lines = plan.upgrades.prefix(10).map {
            catalogs.text(.upgradePlanLine, language: language, ["package": $0.package, "installed": $0.installed, "candidate": $0.candidate])
        }
        return (summary, lines)
    }

    /// The exact pins of a simulated plan, every package at its candidate: what the confirmed `upgrade_packages` of
    /// the fleet view carries (the agent checks them against its own simulation again).
    static func pins(of plan: UpgradePlan) -> [String] {
        plan.upgrades.map { "\($0.package)=\($0.candidate)" }
    }

    /// The second tap: the confirmation of exactly this plan must be pending for this presser; then the upgrade is
    /// claimed and sent with the plan hash, and the agent refuses it if its own simulation no longer gives that plan.
    func confirmUpgrade(_ index: Int?, planHash: String, stored: StoredAlert, alert: Alert, press: Press, actionName: String) async {
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        let confirmed = await storeErrors.attempt("take_confirmation", context: ["alert": "\(stored.id)"]) {
            try await store.takeConfirmation(
                alertID: stored.id, choice: CallbackData.confirmationChoice(index, planHash: planHash), userID: press.userID, now: now())
        }
        guard let confirmed else {
            await press.reply(catalogs.text(.toastStoreFailed, language: language), true)
            return
        }
        guard confirmed, let target = Self.upgradePins(index, of: alert) else {
            await press.reply(catalogs.text(.toastConfirmExpired, language: language), true)
            await audit("press_refused", by: press, alertID: stored.id, detail: "upgrade plan \(planHash) not confirmed or expired")
            await presenter.refresh(stored, alert: alert, extra: nil, keyboard: .offered)
            return
        }
        await carryOut(
            .upgradePackages, stored: stored, alert: alert, press: press, actionName: actionName,
            responseAction: .upgradePackages(pins: target.pins, planHash: planHash, simulate: false))
    }

    /// Sends every listed source package as a CSV document (a message would be cut at 4,096 characters).
    func showAllUpdates(stored: StoredAlert, alert: Alert, press: Press, language: String) async {
        guard case .securityUpdates(let updates) = alert.subject, let chatID = press.chatID else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        await press.reply(nil, false)
        do {
            _ = try await telegram?.sendDocument(
                chatID: chatID, fileName: "security-updates-\(alert.hostname).csv", bytes: Array(Self.csv(updates).utf8),
                caption: catalogs.text(.captionSecurityUpdates, language: language, ["host": alert.hostname]))
        } catch {
            logger.warning("cannot send the update list", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
        await audit("press", by: press, alertID: stored.id, detail: "show_all")
    }

    /// `source,installed,candidate,packages,held,needs_reboot`, one row per source package (RFC 4180 quoting).
    static func csv(_ updates: SecurityUpdatesEvidence) -> String {
        func field(_ text: String) -> String {
            // A leading = + - @ would be a formula in a spreadsheet; a quote makes it text.
            let guarded = text.first.map { "=+-@".contains($0) } == true ? "'" + text : text
            return guarded.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : guarded
        }
        var rows = ["source,installed,candidate,packages,held,needs_reboot"]
        for source in updates.sources {
            rows.append(
                [
                    source.source, source.installed, source.candidate, source.packages.joined(separator: " "), String(source.held),
                    String(source.needsReboot),
                ]
                .map(field).joined(separator: ","))
        }
        return rows.joined(separator: "\r\n") + "\r\n"
    }

    /// Hides this agent's security updates in this chat for 7 days (a chat mute on `security_updates@<agent>`).
    func snooze(stored: StoredAlert, alert: Alert, press: Press, language: String) async {
        guard let chatID = press.chatID else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        let until = now().addingTimeInterval(Self.snoozeDuration)
        let muted = await storeErrors.perform("snooze", context: ["alert": "\(stored.id)"]) {
            try await store.mute(
                ChatMute(
                    chatId: chatID, target: ChatMute.kindOfAgent(alert.kind, alert.agent), until: until, includesCritical: false, mutedBy: press.name)
            )
        }
        guard muted else {
            await press.reply(catalogs.text(.toastStoreFailed, language: language), true)
            return
        }
        await press.reply(catalogs.text(.toastSnoozed, language: language), false)
        await audit("press", by: press, alertID: stored.id, detail: "snooze security_updates of \(alert.agent) in chat \(chatID) until \(until)")
        let values = { (language: String) in ["user": press.name, "time": MessageTime.format(until)] }
        await presenter.refresh(stored, alert: alert, extra: { catalogs.text(.outcomeSnoozed, language: $0, values($0)) }, keyboard: .offered)
    }
}
