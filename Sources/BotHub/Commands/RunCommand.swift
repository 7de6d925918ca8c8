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

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "bothub")
        var hub: HubConfiguration
        let catalogs: MessageCatalogs
        do {
            hub = try HubConfiguration.load(path: config)
            catalogs = try MessageCatalogs.load(override: translations ?? hub.translationsDirectory)
            let problems = HubSetupCheck(configuration: hub, catalogs: catalogs).configurationProblems()
            guard problems.isEmpty else { throw ConfigError(problems: problems) }
        } catch let error as ConfigError {
            for problem in error.problems { logger.critical("bad configuration: \(problem)") }
            throw ExitCode.failure
        }
        let lock: StateDirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: hub.stateDirectory, withIntermediateDirectories: true)
            lock = try StateDirectoryLock(stateDirectory: hub.stateDirectory, program: "bothub")
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        do {
            try HubSetupCheck(configuration: hub, catalogs: catalogs).logEnrollment(logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        hub.listen = DescriptorLimit.fit(hub.listen, otherConnections: hub.metrics.connectionsNeeded, logger: logger)

        var telegram: (any TelegramAPI)?
        // The hub's binary is mostly code only its start runs (Foundation, GRDB's migrations, the catalogs).
        var extraServices: [any Service] = [StartupCodeShedder(logger: logger)]
        if let token = hub.telegram.token {
            let client = TelegramClient(apiURL: hub.telegram.apiURL, token: token)
            switch await TelegramGreeting.greet(client) {
            case .connected(let bot):
                logger.info("connected to Telegram", metadata: ["bot": "@\(bot.username ?? bot.firstName)"])
            case .tokenRefused(let error):
                logger.critical("\(TelegramGreeting.refusal(error))")
                throw ExitCode.failure
            case .unreachable(let error):
                logger.warning(
                    "Telegram is unreachable; the hub starts anyway, stores alerts, serves agents and retries Telegram",
                    metadata: ["error": "\(error)"])
                extraServices.append(TelegramReconnector(telegram: client, logger: logger))
            }
            telegram = client
        } else {
            logger.warning("no telegram.token: alerts are stored and listed by `bothub alerts`; answer them with `bothub choose`")
        }

        let runtime = try HubRuntime.make(configuration: hub, catalogs: catalogs, telegram: telegram, logger: logger)
        let group = ServiceGroup(configuration: runtime.groupConfiguration(finishing: extraServices, logger: logger))
        // The lock is held until the services have stopped.
        defer { withExtendedLifetime(lock) {} }
        try await group.run()
    }
}
