import GRDB
import Shared

/// Where an alert is in its life. Stored as its raw value; a `CHECK` constraint (migration `v7-typed-states`) refuses
/// anything else, so no code path can invent a fourth state by a typo.
enum AlertStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Its buttons work.
    case open
    /// A choice is being carried out (claimed by one press; `pendingChoice`/`pendingCommand` say which). A hub
    /// restarted in this state finishes it (`ChoiceHandler.recoverInterruptedChoices`).
    case handling
    /// A choice was carried out; only an Unblock can follow.
    case handled
}

/// Where one alert's message to one chat is.
enum MessageState: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Waiting for its chat's slot.
    case pending
    /// `sendMessage` is being (or was) called and its message id is not recorded yet. A hub that stops in this state
    /// sends the message again at its next start: at-least-once, so the chat may see it twice.
    case sending
    /// Telegram returned the message id.
    case sent
    /// Hidden by a mute in that chat.
    case muted
    /// Not deliverable (`failure` says why).
    case failed
    /// Folded into a digest message (its `digestId`); never sent alone.
    case digested
}

// The wire enums are stored as their raw values, as they always were.
extension AlertKind: DatabaseValueConvertible {}
extension Severity: DatabaseValueConvertible {}
