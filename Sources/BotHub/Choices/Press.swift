import Foundation
import Shared

/// One choice being made: who, where, which button, and how to answer them at once.
struct Press: Sendable {
    var userID: Int64
    var name: String
    /// Where the press came from.
    var origin: Origin
    /// The chat the button was pressed in, if any.
    var chatID: Int64? {
        if case .chat(let id) = origin { return id }
        return nil
    }
    /// The button's `callback_data` (or the same form built by `bothub choose`).
    var data: String?
    /// The message the button belongs to (Telegram only): a fleet-view button edits its own message.
    var messageID: Int64?
    /// Answers the presser at once: a toast in Telegram (the flag makes it a dialog), a line on the terminal.
    var reply: @Sendable (String?, Bool) async -> Void
    /// Told how the choice ended (`bothub choose` prints it and sets its exit status from it).
    var finished: @Sendable (PressEnd) async -> Void = { _ in }

    enum Origin: Sendable, Equatable {
        /// A button in a Telegram chat: authorized by that chat's operators.
        case chat(Int64)
        /// A Telegram press that names no chat (a button on an inline message): nobody is authorized for it.
        case noChat
        /// `bothub choose` on the hub machine: local and trusted, an admin's press.
        case hubMachine
    }
}

/// How a press that passed every check ended.
enum PressEnd: Sendable, Equatable {
    /// A reboot or shutdown now waits for its confirmation.
    case confirmationRequested
    /// Acknowledge or ignore: recorded on the hub, nothing sent (the line says so in the hub's language).
    case local(String)
    /// The agent's answer to the command just sent (or why it could not be sent).
    case dispatched(ResponseResult)
}
