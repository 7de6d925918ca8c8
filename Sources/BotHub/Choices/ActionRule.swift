import Shared

/// What the hub needs to know to offer, authorize and carry out one alert action, in one row per action
/// (`AlertAction.rule`). The command an action sends is built in `Shared` (`ResponseAction(for:on:)`), from the alert
/// alone; everything else about an action is here.
struct ActionRule: Sendable, Equatable {
    /// The button's label (also the action's name in outcome lines and toasts).
    var label: MessageKey
    /// The least role that may choose it.
    var role: TelegramConfiguration.Role = .operator
    /// A second tap must confirm it: the prompt shown and the confirming button's label. Nil: one tap carries it out.
    var confirmation: Confirmation?
    /// How the choice is carried out.
    var settlement: Settlement = .byAgent

    struct Confirmation: Sendable, Equatable {
        var prompt: MessageKey
        var button: MessageKey

        /// "Really <action> on <host>?" with "Yes, <action>": for actions without a prompt of their own.
        static let generic = Confirmation(prompt: .confirmAction, button: .buttonConfirmAction)
    }

    enum Settlement: Sendable, Equatable {
        /// The hub records it and sends nothing; the line shown afterwards.
        case onHub(outcome: MessageKey)
        /// A sealed command to the agent (`ResponseAction(for:on:)`); the agent's answer is shown.
        case byAgent
    }
}

extension AlertAction {
    /// The row of the action table. Adding an action: a row here, a case in `ResponseAction(for:on:)` (unless it is
    /// settled on the hub), its label in the catalogs.
    var rule: ActionRule {
        switch self {
        case .acknowledge: ActionRule(label: .actionAcknowledge, settlement: .onHub(outcome: .outcomeAcknowledged))
        case .ignore: ActionRule(label: .actionIgnore, settlement: .onHub(outcome: .outcomeIgnored))
        case .killSession: ActionRule(label: .actionKillSession)
        case .blockIP1h: ActionRule(label: .actionBlockIP1h)
        case .blockIP24h: ActionRule(label: .actionBlockIP24h)
        case .blockIPPermanent: ActionRule(label: .actionBlockIPPermanent)
        case .reboot:
            ActionRule(label: .actionReboot, role: .admin, confirmation: .init(prompt: .confirmReboot, button: .buttonConfirmReboot))
        case .shutdown:
            ActionRule(label: .actionShutdown, role: .admin, confirmation: .init(prompt: .confirmShutdown, button: .buttonConfirmShutdown))
        case .acceptListener: ActionRule(label: .actionAcceptListener)
        case .killProcess: ActionRule(label: .actionKillProcess, confirmation: .generic)
        case .stopService: ActionRule(label: .actionStopService, role: .admin, confirmation: .generic)
        case .stopDisableService: ActionRule(label: .actionStopDisableService, role: .admin, confirmation: .generic)
        case .blockPort: ActionRule(label: .actionBlockPort, confirmation: .generic)
        // The hub stores the mute itself (`ChoiceHandler.muteProgram`); nothing goes to the agent.
        case .muteProgram: ActionRule(label: .actionMuteProgram, settlement: .onHub(outcome: .outcomeProgramMuted))
        // Its second tap is the simulated plan (`ChoiceHandler+Upgrade`), not a plain confirmation.
        case .upgradePackages: ActionRule(label: .actionUpgradePackages, role: .admin)
        case .restartServices:
            ActionRule(
                label: .actionRestartServices, role: .admin,
                confirmation: .init(prompt: .confirmRestartServices, button: .buttonConfirmRestartServices))
        // An identity change: Accept changes nothing on the host; the others undo or end something, so admins confirm.
        case .acceptChange: ActionRule(label: .actionAcceptChange)
        case .revertFile: ActionRule(label: .actionRevertFile, role: .admin, confirmation: .generic)
        case .removeKey: ActionRule(label: .actionRemoveKey, role: .admin, confirmation: .generic)
        case .lockUser: ActionRule(label: .actionLockUser, role: .admin, confirmation: .generic)
        case .removeFromGroup: ActionRule(label: .actionRemoveFromGroup, role: .admin, confirmation: .generic)
        case .killWriter: ActionRule(label: .actionKillWriter, role: .admin, confirmation: .generic)
        }
    }

    /// Destructive choices that need a second tap.
    var needsConfirmation: Bool { rule.confirmation != nil }

    /// Choices only admins may make.
    var needsAdmin: Bool { rule.role == .admin }

    /// Choices the hub settles itself, without a command to the agent.
    var isLocal: Bool { rule.settlement != .byAgent }
}
