import Foundation
import Logging
import Shared

/// Shows a choice in the chats: re-renders an alert's messages with an outcome line and the keyboard that fits what
/// happened, asks for a confirmation, edits a digest. The texts and keyboards are pure (`confirmation`, `buttons`);
/// the rest reads where the alert was sent and edits those messages, logging what Telegram refuses.
struct ChoicePresenter: Sendable {
    let store: HubStore
    let catalogs: MessageCatalogs
    /// Nil when the hub runs without Telegram: nothing to show.
    let telegram: (any TelegramAPI)?
    let roster: ChatRoster
    let storeErrors: StoreErrorReporter
    let logger: Logger
    /// How long a reboot or shutdown waits for its confirmation (said in the prompt).
    let confirmationWindow: TimeInterval

    /// The buttons left under an alert after a choice.
    enum Keyboard: Sendable, Equatable {
        /// The agent's offered actions again (the choice did not happen, or is open to be made again).
        case offered
        /// None: the alert is settled.
        case none
        /// "Unblock <ip>" after a block.
        case unblock(String)
        /// "Unblock tcp/8080" after a Block port.
        case unblockPort(String)
    }

    /// Re-renders the alert in every chat it was sent to, with `extra` lines (in each chat's language) below.
    func refresh(_ stored: StoredAlert, alert: Alert, extra: ((String) -> String)?, keyboard: Keyboard) async {
        let sent = await storeErrors.attempt("read_sent_messages", context: ["alert": "\(stored.id)"]) {
            try await store.sentMessages(alertID: stored.id)
        }
        for (chatID, messageID) in sent ?? [] {
            let language = roster.language(of: chatID)
            let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: stored.shortId, language: language)
            let html = [rendered.html, extra?(language)].compactMap { $0 }.joined(separator: "\n\n")
            await edit(
                chatID: chatID, messageID: messageID, html: html,
                keyboard: buttons(keyboard, rendered: rendered, shortID: stored.shortId, language: language))
        }
    }

    /// The rows of buttons for `keyboard` under an alert rendered as `rendered`.
    func buttons(_ keyboard: Keyboard, rendered: RenderedAlert, shortID: String, language: String) -> [[InlineButton]] {
        switch keyboard {
        case .offered: rendered.keyboard
        case .none: []
        case .unblock(let ip):
            [
                [
                    InlineButton(
                        text: catalogs.text(.buttonUnblock, language: language, ["ip": ip]),
                        callbackData: CallbackData(choice: .unblock, shortID: shortID).text)
                ]
            ]
        case .unblockPort(let port):
            [
                [
                    InlineButton(
                        text: catalogs.text(.buttonUnblockPort, language: language, ["port": port]),
                        callbackData: CallbackData(choice: .unblock, shortID: shortID).text)
                ]
            ]
        }
    }

    /// Asks the chat the press came from to confirm `action` with a second tap.
    func askConfirmation(of stored: StoredAlert, alert: Alert, action: AlertAction, chatID: Int64, language: String) async {
        guard
            let found = await storeErrors.attempt(
                "read_message_id", context: ["alert": "\(stored.id)"], { try await store.messageID(alertID: stored.id, chatID: chatID) }),
            let messageID = found, let prompt = confirmation(of: alert, action: action, shortID: stored.shortId, language: language)
        else { return }
        await edit(chatID: chatID, messageID: messageID, html: prompt.html, keyboard: prompt.keyboard)
    }

    /// The alert with the confirmation prompt of `action` below it, and the confirm and cancel buttons; nil for an
    /// action that needs no confirmation.
    func confirmation(of alert: Alert, action: AlertAction, shortID: String, language: String) -> RenderedAlert? {
        guard let confirmation = action.rule.confirmation else { return nil }
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: shortID, language: language)
        // Generic prompts name the action; the power prompts ignore the value.
        let values = [
            "host": alert.hostname, "seconds": String(Int(confirmationWindow)), "action": catalogs.text(action.rule.label, language: language),
        ]
        let prompt = catalogs.text(confirmation.prompt, language: language, values)
        let keyboard = [
            [
                InlineButton(
                    text: catalogs.text(confirmation.button, language: language, values),
                    callbackData: CallbackData(choice: .confirm(action), shortID: shortID).text),
                InlineButton(
                    text: catalogs.text(.buttonCancel, language: language), callbackData: CallbackData(choice: .cancel, shortID: shortID).text),
            ]
        ]
        return RenderedAlert(html: rendered.html + "\n\n" + prompt, keyboard: keyboard)
    }

    /// "The hub could not record this choice", in `language`.
    func notRecordedLine(_ action: AlertAction, actor: String, at time: Date, language: String) -> String {
        catalogs.text(
            .outcomeNotRecorded, language: language,
            ["action": catalogs.text(action.rule.label, language: language), "user": actor, "time": MessageTime.format(time)])
    }

    /// Sends a new message (a digest's full list); failures are logged.
    func send(chatID: Int64, html: String) async {
        do {
            _ = try await telegram?.sendMessage(chatID: chatID, html: html, keyboard: [])
        } catch {
            logger.warning("cannot send a message", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
    }

    /// Edits one message; Telegram's refusals are logged, the choice itself stands.
    func edit(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async {
        guard let telegram else { return }
        do {
            try await telegram.editMessageText(chatID: chatID, messageID: messageID, html: html, keyboard: keyboard)
        } catch {
            logger.warning("cannot edit alert message", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
    }
}
