import Logging
import Shared

/// Reboots or powers off the host with a configured argument vector.
///
/// The answer must leave before the host goes down, so `schedule` only checks that the program exists and returns
/// the report; the caller replies, and the program runs `delay` later. A program that then fails can only be logged:
/// the hub has its answer already, which is why a missing program is caught before answering.
struct PowerControl: Sendable {
    enum Action: String, Sendable {
        case reboot
        case shutdown
    }

    /// Resolved argument vectors; nil when no program was found.
    var rebootArgv: [String]?
    var shutdownArgv: [String]?
    var runner: any CommandRunner
    var delay: Duration = .seconds(2)
    var dryRun = false
    var logger = Logger(label: "sentry-agent.power")

    /// Resolves the configured argv, or the default: `systemctl reboot`/`poweroff`, else `shutdown -r/-h now`.
    static func resolve(_ action: Action, configured: [String]?, locator: ProgramLocator = ProgramLocator()) -> [String]? {
        if let configured, let program = configured.first {
            return locator.path(of: program).map { [$0] + configured.dropFirst() }
        }
        if let systemctl = locator.path(of: "systemctl") {
            return [systemctl, action == .reboot ? "reboot" : "poweroff"]
        }
        if let shutdown = locator.path(of: "shutdown") {
            return [shutdown, action == .reboot ? "-r" : "-h", "now"]
        }
        return nil
    }

    /// The report to send now, and the work to start once it is sent (nil when there is nothing to run).
    func schedule(_ action: Action) -> (report: ActionReport, work: (@Sendable () async -> Void)?) {
        guard let argv = action == .reboot ? rebootArgv : shutdownArgv, let program = argv.first else {
            return (.failed("no \(action.rawValue) program found (set responses.\(action.rawValue)_command)"), nil)
        }
        let invocation = ProgramInvocation(program, Array(argv.dropFirst()), timeout: .seconds(60))
        let when = DurationText.describe(delay)
        if dryRun {
            return (.done("dry run: would run \(invocation) in \(when)"), nil)
        }
        let runner = runner
        let delay = delay
        let logger = logger
        let work: @Sendable () async -> Void = {
            try? await Task.sleep(for: delay)
            logger.notice("running \(action.rawValue)", metadata: ["argv": "\(invocation)"])
            let output = await runner.run(invocation)
            if !output.succeeded {
                logger.error("\(action.rawValue) failed", metadata: ["argv": "\(invocation)", "reason": "\(output.failureReason)"])
            }
        }
        return (.done("\(action.rawValue) in \(when): \(invocation)"), work)
    }
}
