import ArgumentParser
import Foundation
import Logging
import Shared

/// `bothub choose ALERT CHOICE --config FILE [--yes]`
struct ChooseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "choose",
        abstract: "Answer an alert from the hub machine: same checks, audit and sealed dispatch as a button; prints what the agent did.",
        discussion: "Exits 0 when the choice was carried out, 1 when it was refused, failed, or the agent could not be reached."
    )

    @Argument(help: "The alert's short id (first column of `bothub alerts`) or full UUID, in any case.")
    var alert: String

    @Argument(
        help:
            "One of the alert's choices (CHOICES in `bothub alerts`): acknowledge, ignore, kill_session, block_ip_1h, block_ip_24h, block_ip_permanent, reboot, shutdown, accept_listener, kill_process, stop_service, stop_disable_service, block_port, mute_program, upgrade_packages, restart_services, accept_change, revert_file, remove_key, lock_user, remove_from_group, kill_writer, or unblock."
    )
    var choice: String

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    @Flag(help: "Confirm a reboot or shutdown (without it nothing is sent).")
    var yes = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard AlertReference(alert) != nil else {
            throw ValidationError("ALERT: a short id from `bothub alerts` (12 to 32 hex digits) or a full alert UUID")
        }
        guard CallbackData.Choice(terminalName: choice) != nil else {
            throw ValidationError(
                "CHOICE: unknown choice \(choice) (one of \((AlertAction.allCases.map(\.rawValue) + ["unblock"]).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "bothub")
        let hub = try HubTerminal.open(config: config)
        let catalogs = try MessageCatalogs.load(override: translations ?? hub.configuration.translationsDirectory)
        let stored = try hub.alert(alert)
        let listing = try hub.listing(stored, catalogs: catalogs, now: Date())
        if let refusal = Self.refusal(choice: choice, listing: listing) { throw TerminalError(refusal) }
        guard let parsed = CallbackData.Choice(terminalName: choice) else { throw ValidationError("CHOICE: unknown choice \(choice)") }
        let action = parsed.action
        if let action, action.needsConfirmation, !yes {
            print("\(choice) \(listing.host) (alert \(listing.shortId)): nothing sent; re-run with --yes to confirm.")
            throw ExitCode.failure
        }

        let wiring = HubWiring(configuration: hub.configuration, store: hub.store, agents: hub.agents, logger: logger)
        let handler = wiring.choices(
            catalogs: catalogs,
            telegram: hub.configuration.telegram.token.map { TelegramClient(apiURL: hub.configuration.telegram.apiURL, token: $0) },
            settings: ChoiceSettings(),
            now: Date.init
        )
        let end = PressRecorder()
        let localOperator = HubTerminal.localOperator
        let press = { (choice: CallbackData.Choice) in
            Press(
                userID: localOperator.telegramUserId, name: localOperator.name, origin: .hubMachine,
                data: CallbackData(choice: choice, shortID: stored.shortId).text,
                reply: { text, _ in await end.replied(text) }, finished: { await end.finished($0) })
        }
        // The same two taps a button takes: the choice, then its confirmation (`--yes` stands for the second tap).
        await handler.process(press(parsed))
        if let action, action.needsConfirmation {
            await handler.process(press(.confirm(action)))
        }
        let report = Self.report(await end.end, lastReply: await end.lastReply, choice: choice, listing: listing)
        print(report.line)
        if !report.succeeded { throw ExitCode.failure }
    }

    /// Why `choice` cannot be made on the alert now, in the terminal's words; nil when it can.
    static func refusal(choice: String, listing: AlertListing) -> String? {
        guard !listing.available.contains(choice) else { return nil }
        if choice != "unblock", !listing.offered.contains(choice) {
            return
                "\(choice) is not offered for \(listing.shortId) (offered: \(listing.offered.isEmpty ? "nothing" : listing.offered.joined(separator: ", ")))"
        }
        if choice == "unblock" {
            return "nothing to unblock for \(listing.shortId): no block made from it is in place"
        }
        if let by = listing.handledBy {
            return "\(listing.shortId) was already handled by \(by)" + (listing.outcome.map { ": \($0)" } ?? "")
        }
        return "\(listing.shortId) is too old to act on (choices last 24 h)"
    }

    /// The line to print and whether the choice was carried out.
    static func report(_ end: PressEnd?, lastReply: String?, choice: String, listing: AlertListing) -> (line: String, succeeded: Bool) {
        let target = "\(choice) on \(listing.agent)/\(listing.shortId)"
        switch end {
        case .local(let line)?:
            return ("\(target) → done: \(PlainText.from(html: line))", true)
        case .dispatched(let result)?:
            let detail = result.detail.map { " (\($0))" } ?? ""
            switch result.outcome {
            case .done: return ("\(target) → done\(detail)", true)
            case .alreadyDone: return ("\(target) → already in place\(detail)", true)
            case .started: return ("\(target) → started, the end is shown when the agent reports it\(detail)", true)
            case .refused(let reason): return ("\(target) → refused by the agent: \(reason)\(detail)", false)
            case .failed(let reason): return ("\(target) → failed: \(reason)\(detail)", false)
            }
        case .confirmationRequested?, nil:
            return ("\(target) → refused: \(lastReply.map(PlainText.from(html:)) ?? "no answer")", false)
        }
    }
}

/// Collects what the handler told a terminal press.
actor PressRecorder {
    private(set) var end: PressEnd?
    private(set) var lastReply: String?

    func replied(_ text: String?) {
        if let text { lastReply = text }
    }

    func finished(_ end: PressEnd) {
        self.end = end
    }
}
