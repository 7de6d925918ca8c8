import Foundation
import Shared

/// Decides what a press on an alert's button may do, from the press's choice, the stored alert, the presser's role
/// and the clock alone: no store, no socket, so every rule is testable as a value. `ChoiceHandler` carries the
/// decision out (audit, store, dispatch, message edits).
struct ChoicePolicy: Sendable {
    let settings: ChoiceSettings

    /// What the press does.
    enum Decision: Sendable, Equatable {
        /// Nothing; the presser is told why.
        case refuse(Refusal)
        /// A reboot or shutdown: a second tap must confirm it within `confirmationWindow`.
        case askConfirmation(AlertAction)
        /// The confirming tap: carried out if this presser's confirmation is still pending (the store knows).
        case confirm(AlertAction)
        /// Claim the alert and carry the action out.
        case carryOut(AlertAction)
        /// Withdraw a pending confirmation.
        case cancel
        /// Lift the block made from this alert.
        case unblock
        /// Ask the agent for the plan of upgrading one listed source package (or all), and show it for confirmation.
        case simulateUpgrade(Int?)
        /// The confirming tap on a shown plan: carried out if this presser's confirmation of that plan is pending.
        case confirmUpgrade(Int?, planHash: String)
        /// Send the full list of a `security_updates` alert as a document.
        case showAll
        /// Hide this agent's `security_updates` in the chat for 7 days.
        case snooze
    }

    /// Why a press is refused, in the order the checks run.
    enum Refusal: Sendable, Equatable {
        /// The presser is not an operator of the chat (or the press names no chat).
        case notOperator
        /// The action needs an admin and the presser is an operator.
        case needsAdmin(AlertAction)
        /// The agent did not offer this action for this alert (a crafted button).
        case notOffered(AlertAction)
        /// The alert is older than `buttonLifetime`.
        case expired
        /// A reboot or shutdown on an alert someone already handled.
        case alreadyHandled(by: String)
        /// A digest's choice named an alert (digest buttons go to the digest's own handling).
        case notForAlerts
        /// An alert's choice named a digest.
        case notForDigests
    }

    func decide(
        _ choice: CallbackData.Choice, on stored: StoredAlert, alert: Alert, role: TelegramConfiguration.Role?, now: Date
    ) -> Decision {
        let requested = choice.action
        guard let role else { return .refuse(.notOperator) }
        if let requested, let refusal = Self.refusal(requested, role: role) { return .refuse(refusal) }
        if let requested, !alert.actions.contains(requested) { return .refuse(.notOffered(requested)) }
        guard now.timeIntervalSince(stored.receivedAt) <= settings.buttonLifetime else { return .refuse(.expired) }
        switch choice {
        case .cancel: return .cancel
        case .action(let action) where action.needsConfirmation:
            guard stored.status == .open else { return .refuse(.alreadyHandled(by: stored.handledBy ?? "?")) }
            return .askConfirmation(action)
        case .confirm(let action): return .confirm(action)
        case .action(let action): return .carryOut(action)
        case .unblock: return .unblock
        case .digestBlock, .digestShow, .fleetUpgrade, .fleetConfirm, .fleetCancel: return .refuse(.notForAlerts)
        case .upgrade(let index):
            guard stored.status == .open else { return .refuse(.alreadyHandled(by: stored.handledBy ?? "?")) }
            return .simulateUpgrade(index)
        case .confirmUpgrade(let index, let planHash): return .confirmUpgrade(index, planHash: planHash)
        case .showAll, .snooze:
            guard case .securityUpdates = alert.subject else { return .refuse(.notForAlerts) }
            return choice == .showAll ? .showAll : .snooze
        }
    }

    /// What a press on a digest's button does.
    enum DigestDecision: Sendable, Equatable {
        case refuse(Refusal)
        /// Send the full list of addresses.
        case show
        /// Claim the digest and block the addresses its message lists (`AlertAction.blockIP1h` on each one's alert).
        case block
    }

    /// The digest's choices under the same rules as an alert's: an operator of the chat, the role the block action
    /// needs, and no block after `buttonLifetime` since the digest's last alert (the list stays available).
    func decide(_ choice: CallbackData.Choice, onDigestLastAlertAt lastAlertAt: Date, role: TelegramConfiguration.Role?, now: Date) -> DigestDecision
    {
        guard let role else { return .refuse(.notOperator) }
        switch choice {
        case .digestShow: return .show
        case .digestBlock:
            if let refusal = Self.refusal(Self.digestBlockAction, role: role) { return .refuse(refusal) }
            guard now.timeIntervalSince(lastAlertAt) <= settings.buttonLifetime else { return .refuse(.expired) }
            return .block
        case .action, .confirm, .cancel, .unblock, .upgrade, .confirmUpgrade, .showAll, .snooze, .fleetUpgrade, .fleetConfirm, .fleetCancel:
            return .refuse(.notForDigests)
        }
    }

    /// The action "Block top N" carries out on each address.
    static let digestBlockAction = AlertAction.blockIP1h

    /// Whether `role` may choose `action` (`AlertAction.rule`).
    private static func refusal(_ action: AlertAction, role: TelegramConfiguration.Role) -> Refusal? {
        action.rule.role == .admin && role != .admin ? .needsAdmin(action) : nil
    }
}
