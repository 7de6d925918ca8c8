import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import Shared

/// `bothub run --config FILE`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the hub: receive sealed alerts, relay them to Telegram, carry out operators' choices; stop on SIGTERM or SIGINT."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "Directory holding bot.<lang>.yml catalogs.")
    var translations: String = "translations"

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "bothub")
        let hub: HubConfiguration
        let catalogs: MessageCatalogs
        do {
            hub = try HubConfiguration.load(path: config)
            catalogs = try MessageCatalogs.load(directory: translations)
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("bad configuration: \(problem)") }
            throw ExitCode.failure
        }

        var telegram: (any TelegramAPI)?
        if let token = hub.telegram.token {
            let client = TelegramClient(apiURL: hub.telegram.apiURL, token: token)
            do {
                let bot = try await client.getMe()
                logger.info("connected to Telegram", metadata: ["bot": "@\(bot.username ?? bot.firstName)"])
            } catch {
                logger.critical("Telegram refused the bot token (getMe: \(error.detail)); check telegram.token")
                throw ExitCode.failure
            }
            telegram = client
        } else {
            logger.warning("no telegram.token: alerts are stored and listed by `bothub alerts`; answer them with `bothub choose`")
        }

        let runtime = try HubRuntime.make(configuration: hub, catalogs: catalogs, telegram: telegram, logger: logger)
        let group = ServiceGroup(services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
