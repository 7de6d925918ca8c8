import ArgumentParser
import Foundation
import Shared

/// `bothub install-boot`
struct InstallBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-boot",
        abstract: "Start bothub at boot: a hardened systemd unit (preferred) or an /etc/cron.d @reboot line with a restart loop."
    )

    @OptionGroup var options: InstallBootOptions

    func run() throws {
        try options.run(for: .hub)
        try installDocumentation()
    }

    /// Shell completions and the man page, beside the boot file (kept apart from `InstallBootOptions.run`).
    private func installDocumentation() throws {
        let binary = options.binary ?? CommandLine.arguments.first.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        for line in try DocumentationInstaller(root: options.root).install(BotHubCommand.self, program: "bothub", binary: binary) { print(line) }
    }
}

/// `bothub uninstall-boot`
struct UninstallBootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall-boot", abstract: "Stop starting bothub at boot (removes the unit or cron file).")

    @OptionGroup var options: UninstallBootOptions

    func run() throws { try options.run(for: .hub) }
}
