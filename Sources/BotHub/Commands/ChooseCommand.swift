import ArgumentParser
import Foundation
import Logging
import Shared

/// `bothub choose ALERT CHOICE --config FILE [--yes]`
struct ChooseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "choose",
        abstract: "Answer an alert from the hub machine, as a button would: same checks, audit and sealed dispatch; the operator is the local user."
    )

    @Argument(help: "The alert's short id (first column of `bothub alerts`).")
    var alert: String

    @Argument(
        help:
            "One of the alert's actions: acknowledge, ignore, kill_session, block_ip_1h, block_ip_24h, block_ip_permanent, reboot, shutdown, or unblock."
    )
    var choice: String

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    @Flag(help: "Confirm a reboot or shutdown (the second tap).")
    var yes = false

    func validate() throws {
        guard ShortID.isWellFormed(alert) else { throw ValidationError("ALERT: a short id (12 to 32 hex digits) from `bothub alerts`") }
        guard choice == "unblock" || AlertAction(rawValue: choice) != nil else { throw ValidationError("CHOICE: unknown choice \(choice)") }
    }

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "bothub")
        let hub = try HubConfiguration.load(path: config)
        let catalogs = try MessageCatalogs.load(override: translations ?? hub.translationsDirectory)
        let store = try HubStore.openExisting(path: "\(hub.stateDirectory)/hub.sqlite")
        let agents = AgentDirectory(configured: hub.agents, enrollment: AgentEnrollmentFile(stateDirectory: hub.stateDirectory))
        let handler = ChoiceHandler(
            store: store,
            catalogs: catalogs,
            telegram: hub.telegram.token.map { TelegramClient(apiURL: hub.telegram.apiURL, token: $0) },
            roster: ChatRoster(chats: hub.telegram.chats, store: store, defaultLanguage: hub.language),
            dispatcher: ResponseDispatcher(agents: agents, timeout: .seconds(15), logger: logger),
            settings: ChoiceSettings(),
            logger: logger,
            now: Date.init
        )
        let user = "local:\(ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.userName)"
        let press = { (data: String) in
            Press(userID: 0, name: user, origin: .hubMachine, data: data, reply: { text, _ in if let text { print(text) } })
        }
        if let action = AlertAction(rawValue: choice), action.needsConfirmation {
            await handler.process(press("v1:\(choice):\(alert)"))
            guard yes else {
                print("Re-run with --yes to \(choice).")
                return
            }
            await handler.process(press("v1:confirm_\(choice):\(alert)"))
        } else {
            await handler.process(press("v1:\(choice):\(alert)"))
        }
        if let outcome = try store.alert(shortID: alert)?.outcome {
            let text = outcome.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            print(
                text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                    .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            )
        }
    }
}
