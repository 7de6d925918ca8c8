import ArgumentParser
import Shared

/// `bothub`: receives alerts from agents and lets operators answer them from Telegram.
struct BotHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bothub",
        abstract: "Vigil hub: receives sealed alerts from agents and relays them to Telegram with one-tap responses.",
        version: VigilVersion.current,
        subcommands: [
            RunCommand.self, CheckConfigCommand.self, AgentCommand.self, AlertsCommand.self, ShowCommand.self, ChooseCommand.self,
            StatusCommand.self, BlocksCommand.self, UnblockCommand.self, MuteCommand.self, UnmuteCommand.self, AuditCommand.self,
            InstallBootCommand.self, UninstallBootCommand.self, VulnsCommand.self,
        ]
    )
}

/// The program's entry point, called by the one-line executable target.
public enum BotHubProgram {
    public static func main() async {
        PrivateFile.restrictProcessUmask()
        await BotHubCommand.main()
    }
}
