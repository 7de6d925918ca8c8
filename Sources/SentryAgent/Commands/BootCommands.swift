import ArgumentParser
import FoundationEssentials
import Shared

/// `sentry-agent install-boot`
struct InstallBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-boot",
        abstract: "Start the agent at boot: a hardened systemd unit (preferred) or an /etc/cron.d @reboot line with a restart loop."
    )

    @OptionGroup var options: InstallBootOptions

    func run() throws {
        try options.run(for: .agent, grants: ResponsesConfiguration.bootGrants(configurationFile:))
        try installDocumentation()
    }

    /// Shell completions and the man page, beside the boot file (kept apart from `InstallBootOptions.run`).
    private func installDocumentation() throws {
        let binary = options.binary ?? CommandLine.arguments.first.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        for line in try DocumentationInstaller(root: options.root).install(SentryAgentCommand.self, program: "sentry-agent", binary: binary) {
            print(line)
        }
    }
}

/// `sentry-agent uninstall-boot`
struct UninstallBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall-boot",
        abstract: "Stop starting the agent at boot (removes the unit or cron file)."
    )

    @OptionGroup var options: UninstallBootOptions

    func run() throws { try options.run(for: .agent) }
}
