import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Everything a running hub is made of, built from its configuration; `services` are run in one `ServiceGroup`.
struct HubRuntime {
    let store: HubStore
    let server: HTTPServer
    let notifier: AlertNotifier?
    let poller: UpdatePoller?
    let choices: ChoiceHandler?

    var services: [any Service] {
        [server] + [notifier as (any Service)?, poller as (any Service)?].compactMap { $0 }
    }

    /// Builds the hub. With a Telegram API the alerts are relayed and presses handled; without one, alerts are
    /// stored and wait for `bothub alerts` / `bothub choose`.
    static func make(
        configuration: HubConfiguration,
        catalogs: MessageCatalogs,
        telegram: (any TelegramAPI)?,
        logger: Logger,
        settings: ChoiceSettings = ChoiceSettings(),
        pollTimeout: Int = 50,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws -> HubRuntime {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let store = try HubStore.open(path: "\(configuration.stateDirectory)/hub.sqlite")
        let enrolled = try AgentEnrollmentFile(stateDirectory: configuration.stateDirectory).agentEntries()
        let agents = AgentDirectory(configured: configuration.agents, enrolled: enrolled)
        let chats = configuration.telegram.chats
        let dispatcher = ResponseDispatcher(agents: agents, timeout: .seconds(15), logger: logger)

        var notifier: AlertNotifier?
        var poller: UpdatePoller?
        var choices: ChoiceHandler?
        if let telegram {
            notifier = AlertNotifier(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                chats: chats,
                defaultLanguage: configuration.language,
                logger: logger,
                now: now
            )
            let choiceHandler = ChoiceHandler(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                chats: chats,
                defaultLanguage: configuration.language,
                dispatcher: dispatcher,
                settings: settings,
                logger: logger,
                now: now
            )
            choices = choiceHandler
            let commands = ChatCommandHandler(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                chats: chats,
                agents: agents,
                defaultLanguage: configuration.language,
                dispatcher: dispatcher,
                settings: settings,
                logger: logger,
                now: now
            )
            poller = UpdatePoller(
                store: store, telegram: telegram, choices: choiceHandler, commands: commands, logger: logger, pollTimeout: pollTimeout, now: now)
        }
        let intake = AlertIntake(
            store: store,
            chatIDs: chats.map(\.id),
            logger: logger,
            now: now,
            alertStored: { [notifier] in notifier?.wake() }
        )
        let verifier = EnvelopeVerifier(keys: agents)
        let server = HTTPServer(
            configuration: configuration.listen,
            handler: IntakeRoutes.make(intake: intake, verifier: verifier, logger: logger),
            logger: logger
        )
        return HubRuntime(store: store, server: server, notifier: notifier, poller: poller, choices: choices)
    }
}
