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
        /// Simulates upgrading a `security_updates` alert's source package at this index of its list, or all of them
        /// (nil): the answer is the plan, shown for a second tap.
        case upgrade(Int?)
        /// The second tap: upgrade with the plan whose hash the simulation gave (16 hex digits).
        case confirmUpgrade(Int?, planHash: String)
        /// Sends the full list of pending updates as a CSV document.
        case showAll
        /// Hides this agent's `security_updates` in this chat for 7 days.
        case snooze
        /// A fleet-view Upgrade button (`FleetUpgradeChoices`; the short id is the button's own): simulate on each host.
        case fleetUpgrade
        /// Its second tap: upgrade each host with the plans whose combined hash this is (16 hex digits).
        case fleetConfirm(String)
        /// Abandons the fleet upgrade's pending plans.
        case fleetCancel
    }

    /// Source packages of a `security_updates` alert that get their own Upgrade button.
    static let upgradeButtons = 3

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
        case "show_all": choice = .showAll
        case "snooze_7d": choice = .snooze
        case "fleet_upgrade": choice = .fleetUpgrade
        case "fleet_cancel": choice = .fleetCancel
        case let confirm where confirm.hasPrefix("fc."):
            let hash = confirm.dropFirst(3)
            guard hash.utf8.count == 16, hash.utf8.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
            choice = .fleetConfirm(String(hash))
        case "upgrade_all": choice = .upgrade(nil)
        case let upgrade where upgrade.hasPrefix("upgrade_") && upgrade != "upgrade_packages":
            guard let index = Self.upgradeIndex(upgrade.dropFirst("upgrade_".count)) else { return nil }
            choice = .upgrade(index)
        case let confirm where confirm.hasPrefix("uc"):
            // `uc<index|a>.<hash>`
            let parts = confirm.dropFirst(2).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1].utf8.count == 16, parts[1].utf8.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
            if parts[0] == "a" {
                choice = .confirmUpgrade(nil, planHash: String(parts[1]))
            } else if let index = Self.upgradeIndex(parts[0]) {
                choice = .confirmUpgrade(index, planHash: String(parts[1]))
            } else {
                return nil
            }
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
        case .upgrade(let index): "v1:upgrade_\(index.map(String.init) ?? "all"):\(shortID)"
        case .confirmUpgrade(let index, let hash): "v1:\(Self.confirmationChoice(index, planHash: hash)):\(shortID)"
        case .showAll: "v1:show_all:\(shortID)"
        case .snooze: "v1:snooze_7d:\(shortID)"
        case .fleetUpgrade: "v1:fleet_upgrade:\(shortID)"
        case .fleetConfirm(let hash): "v1:fc.\(hash):\(shortID)"
        case .fleetCancel: "v1:fleet_cancel:\(shortID)"
        }
    }

    /// The confirmation's choice (`uc0.<hash>`, `uca.<hash>`): also what the store keeps for the pending confirmation.
    static func confirmationChoice(_ index: Int?, planHash: String) -> String {
        "uc\(index.map(String.init) ?? "a").\(planHash)"
    }

    private static func upgradeIndex(_ text: Substring) -> Int? {
        guard text.utf8.count == 1, let index = Int(text), index >= 0, index < upgradeButtons else { return nil }
        return index
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}

extension CallbackData.Choice {
    /// The alert action this choice makes or confirms; nil for the others.
    var action: AlertAction? {
        switch self {
        case .action(let action), .confirm(let action): action
        case .upgrade, .confirmUpgrade, .fleetUpgrade, .fleetConfirm: .upgradePackages
        case .cancel, .unblock, .digestBlock, .digestShow, .showAll, .snooze, .fleetCancel: nil
        }
    }

    /// A fleet-view button: its short id names a `fleetUpgrade` row, not an alert or a digest.
    var isFleetUpgrade: Bool {
        switch self {
        case .fleetUpgrade, .fleetConfirm, .fleetCancel: true
        default: false
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
