import Shared

/// The `callback_data` of a button: `v1:<choice>:<short alert id>`. No IP, pid or command ever travels in a button;
/// everything else is looked up in the store.
struct CallbackData: Equatable, Sendable {
    enum Choice: Equatable, Sendable {
        /// One of the actions the agent offered.
        case action(AlertAction)
        /// The second tap that confirms a reboot or shutdown.
        case confirm(AlertAction)
        /// Abandons a pending confirmation.
        case cancel
        /// Lifts the block made for this alert.
        case unblock
        /// Blocks the addresses behind the most alerts of a digest (the short id is the digest's).
        case digestBlock
        /// Lists every address of a digest.
        case digestShow
    }

    var choice: Choice
    var shortID: String

    init(choice: Choice, shortID: String) {
        self.choice = choice
        self.shortID = shortID
    }

    /// Parses callback data; nil for anything not made by this hub's version 1 buttons.
    init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", ShortID.isWellFormed(parts[2]) else { return nil }
        let name = String(parts[1])
        switch name {
        case "cancel": choice = .cancel
        case "unblock": choice = .unblock
        case "digest_block": choice = .digestBlock
        case "digest_show": choice = .digestShow
        case let confirm where confirm.hasPrefix("confirm_"):
            guard let action = AlertAction(rawValue: String(confirm.dropFirst("confirm_".count))), action.needsConfirmation else { return nil }
            choice = .confirm(action)
        default:
            guard let action = AlertAction(rawValue: name) else { return nil }
            choice = .action(action)
        }
        shortID = String(parts[2])
    }

    var text: String {
        switch choice {
        case .action(let action): "v1:\(action.rawValue):\(shortID)"
        case .confirm(let action): "v1:confirm_\(action.rawValue):\(shortID)"
        case .cancel: "v1:cancel:\(shortID)"
        case .unblock: "v1:unblock:\(shortID)"
        case .digestBlock: "v1:digest_block:\(shortID)"
        case .digestShow: "v1:digest_show:\(shortID)"
        }
    }
}

extension CallbackData.Choice {
    /// The alert action this choice makes or confirms; nil for the others.
    var action: AlertAction? {
        switch self {
        case .action(let action), .confirm(let action): action
        case .cancel, .unblock, .digestBlock, .digestShow: nil
        }
    }

    /// A choice named as on the terminal (`bothub choose`): an action's wire name or `unblock`.
    init?(terminalName name: String) {
        if name == "unblock" {
            self = .unblock
        } else if let action = AlertAction(rawValue: name) {
            self = .action(action)
        } else {
            return nil
        }
    }
}
