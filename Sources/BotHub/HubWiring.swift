import Foundation
import Logging
import Shared

/// The parts that carry a choice out, built one way from a hub's configuration: the running hub and `bothub choose`
/// both take them from here, so a press from the terminal goes through exactly what a button goes through.
struct HubWiring: Sendable {
    let configuration: HubConfiguration
    let store: HubStore
    let agents: AgentDirectory
    let logger: Logger
    /// Nil in `bothub choose`, which prints what went wrong instead.
    var metrics: MetricsRegistry?

    /// How long the hub waits for an agent's answer to one command.
    static let dispatchTimeout: Duration = .seconds(15)

    var storeErrors: StoreErrorReporter { StoreErrorReporter(logger: logger, metrics: metrics) }

    var roster: ChatRoster {
        var roster = ChatRoster(chats: configuration.telegram.chats, store: store, defaultLanguage: configuration.language)
        roster.storeErrors = storeErrors
        return roster
    }

    var dispatcher: ResponseDispatcher {
        ResponseDispatcher(agents: agents, timeout: Self.dispatchTimeout, logger: logger, metrics: metrics)
    }

    /// The press handler; `telegram` nil when the hub runs without Telegram (nothing to answer or edit).
    func choices(
        catalogs: MessageCatalogs, telegram: (any TelegramAPI)?, settings: ChoiceSettings, strangers: StrangerReplyLimiter = StrangerReplyLimiter(),
        now: @escaping @Sendable () -> Date
    ) -> ChoiceHandler {
        ChoiceHandler(
            store: store, catalogs: catalogs, telegram: telegram, roster: roster, dispatcher: dispatcher, settings: settings, logger: logger,
            now: now,
            strangers: strangers, metrics: metrics)
    }
}
