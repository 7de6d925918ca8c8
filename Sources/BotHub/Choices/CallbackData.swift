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

extension AlertAction {
    /// Destructive choices that need a second tap.
    var needsConfirmation: Bool {
        switch self {
        case .reboot, .shutdown, .killProcess, .stopService, .stopDisableService, .blockPort: true
        default: false
        }
    }

    /// Choices only admins may make.
    var needsAdmin: Bool {
        switch self {
        case .reboot, .shutdown, .stopService, .stopDisableService: true
        default: false
        }
    }

    /// Choices the hub settles itself, without a command to the agent.
    var isLocal: Bool { self == .acknowledge || self == .ignore || self == .muteProgram }

    /// The block duration for block actions; nil inside means permanent.
    var blockDuration: Duration?? {
        switch self {
        case .blockIP1h: .some(.seconds(3600))
        case .blockIP24h: .some(.seconds(86_400))
        case .blockIPPermanent: .some(nil)
        default: nil
        }
    }
}
