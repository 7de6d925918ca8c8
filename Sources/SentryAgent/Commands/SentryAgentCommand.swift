import ArgumentParser
import Shared

/// `sentry-agent`: watches this server and runs the responses an operator chooses.
struct SentryAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentry-agent",
        abstract: "Vigil agent: detects SSH logins, brute force, sustained CPU and HTTP 404 bursts; runs operator-chosen responses.",
        version: VigilVersion.current,
        subcommands: [
            RunCommand.self, WatchCommand.self, CheckConfigCommand.self, ReplayCommand.self, StatusCommand.self, BlocksCommand.self,
            UnblockCommand.self, FollowCommand.self, InstallBootCommand.self, UninstallBootCommand.self, ListenersCommand.self,
            PackagesCommand.self, IdentityApplyCommand.self,
        ]
    )
}

/// The program's entry point, called by the one-line executable target.
public enum SentryAgentProgram {
    public static func main() async {
        PrivateFile.restrictProcessUmask()
        await SentryAgentCommand.main()
    }
}
