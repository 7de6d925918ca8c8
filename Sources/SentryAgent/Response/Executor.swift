import FoundationEssentials
import Logging
import Shared

/// Decides whether a command may run, runs it at most once, and remembers its result.
///
/// Checks, in order: the action is enabled in this agent's configuration; the command has not expired (and does not
/// claim an expiry absurdly far ahead); its id was not seen before. A repeat is answered from the journal — a command
/// that was done is `already_done` with the recorded detail, a refused or failed one gets its recorded answer again —
/// and nothing runs twice, also across an agent restart.
actor Executor {
    /// The responders the executor hands commands to.
    struct Responders: Sendable {
        var blocks: BlockResponder
        var sessions: SessionKiller
        var power: PowerControl
        /// `upgrade_packages` and `restart_services` (nil: refused as not configured).
        var upgrades: PackageUpgrader? = nil
        var restarts: ServiceRestarter? = nil
        /// Accept and Kill process on a new listener.
        var listeners = ListenerResponder()
        /// Stop service on a new listener.
        var services = ServiceStopper()
        /// Block port and Unblock port.
        var ports = PortBlockResponder()
        /// The answers to an identity change (nil: refused as not configured).
        var identity: IdentityActionRunner? = nil
    }

    /// An `expires_at` further ahead than this is refused: it would keep a journal entry alive for that long.
    static let longestValidity: TimeInterval = 7 * 86_400

    private let configuration: ResponsesConfiguration
    private let responders: Responders
    private let journal: CommandJournal
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// Ids being executed right now: a repeat arriving meanwhile must not start it again.
    private var running: Set<UUID> = []

    /// Opens the journal at `journalPath`.
    init(
        configuration: ResponsesConfiguration,
        responders: Responders,
        journalPath: String,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger = Logger(label: "sentry-agent.responses")
    ) throws(CommandJournal.Failure) {
        self.configuration = configuration
        self.responders = responders
        self.journal = try CommandJournal(path: journalPath, now: now())
        self.now = now
        self.logger = logger
    }

    /// Executes `command` (or answers why not) and returns the result to seal back to the hub.
    func execute(_ command: ResponseCommand) async -> ResponseResult {
        let result = await decide(command)
        logger.notice(
            "response",
            metadata: [
                "command": "\(command.id)", "action": "\(command.action.name)", "by": "\(command.requestedBy.name)",
                "outcome": "\(result.outcome.name)", "detail": "\(result.detail ?? "")",
            ])
        return result
    }

    private func decide(_ command: ResponseCommand) async -> ResponseResult {
        let action = command.action
        guard isEnabled(action) else {
            return finished(command, .refused("\(action.name) is disabled in this agent's configuration (responses.\(action.configurationKey))"))
        }
        let current = now()
        guard command.expiresAt > current else {
            return finished(command, .refused("command expired at \(command.expiresAt.formatted(.iso8601))"))
        }
        guard command.expiresAt.timeIntervalSince(current) <= Self.longestValidity else {
            return finished(command, .refused("command expiry is more than 7 days ahead"))
        }
        if let repeated = answerRepeat(command) { return repeated }

        running.insert(command.id)
        defer { running.remove(command.id) }
        do {
            try journal.recordStarted(command)
        } catch {
            logger.error("journal write failed; not running the command", metadata: ["reason": "\(error)"])
            return finished(command, .failed("cannot record the command before running it: \(error)"))
        }

        let report: ActionReport
        var afterReply: (@Sendable () async -> Void)?
        switch action {
        case .blockIP(let ip, let seconds):
            report = await responders.blocks.block(ip: ip, durationSeconds: seconds)
        case .unblockIP(let ip):
            report = await responders.blocks.unblock(ip: ip)
        case .killSession(let pid, let startTime):
            report = await responders.sessions.kill(pid: pid, startTime: startTime)
        case .reboot:
            (report, afterReply) = responders.power.schedule(.reboot)
        case .shutdown:
            (report, afterReply) = responders.power.schedule(.shutdown)
        case .upgradePackages(let pins, let planHash, let simulate):
            if let upgrades = responders.upgrades {
                report = await upgrades.upgrade(command, pins: pins, planHash: planHash, simulate: simulate)
            } else {
                report = .refused("this agent has no package upgrader")
            }
        case .planUpgrade(let sources):
            if let upgrades = responders.upgrades {
                report = await upgrades.plan(sources)
            } else {
                report = .refused("this agent has no package upgrader")
            }
        case .restartServices(let units):
            if let restarts = responders.restarts {
                report = await restarts.restart(units)
            } else {
                report = .refused("this agent cannot restart services")
            }
        case .acceptListener(let key):
            report = responders.listeners.accept(key)
        case .killProcess(let pid, let startTime, let listener):
            report = await responders.listeners.kill(pid: pid, startTime: startTime, listener: listener)
        case .stopService(let unit, let disable, let listener):
            let stopped = await responders.services.stop(unit: unit, disable: disable)
            let ended = stopped.outcome == .done && !responders.services.dryRun
            report = ended ? responders.listeners.forget(listener, after: stopped) : stopped
        case .blockPort(let transport, let port):
            report = await responders.ports.block(transport: transport, port: port)
        case .unblockPort(let transport, let port):
            report = await responders.ports.unblock(transport: transport, port: port)
        case .acceptChange, .revertFile, .removeKey, .lockUser, .removeFromGroup, .killWriter:
            if let identity = responders.identity {
                report = await identity.run(action, commandID: command.id)
            } else {
                report = .refused("this agent has no identity state to act on")
            }
        }
        let result = finished(command, report)
        do {
            try journal.recordFinished(command, result: result)
        } catch {
            // The action ran; a repeat will find only `started` and refuse to run it again.
            logger.error("journal write failed after running a command", metadata: ["reason": "\(error)"])
        }
        // Power work starts only now, after the result is durable; its own delay lets the reply leave first.
        if let afterReply { Task.detached { await afterReply() } }
        return result
    }

    /// The answer to a command id seen before, or nil for a new one.
    private func answerRepeat(_ command: ResponseCommand) -> ResponseResult? {
        if running.contains(command.id) {
            return finished(command, .alreadyDone("this command is being executed now"))
        }
        guard let entry = journal.entry(for: command.id) else { return nil }
        guard let recorded = entry.result else {
            return finished(command, .failed("the agent stopped while running this command; it is not run again"))
        }
        switch recorded.outcome {
        case .done, .alreadyDone:
            return ResponseResult(commandId: command.id, outcome: .alreadyDone, detail: recorded.detail, finishedAt: recorded.finishedAt)
        case .started, .refused, .failed:
            // A started upgrade is not started again: its end comes as an `upgrade_finished` alert.
            return recorded
        }
    }

    private func isEnabled(_ action: ResponseAction) -> Bool {
        switch action {
        case .blockIP, .unblockIP: configuration.blockIP
        case .killSession: configuration.killSession
        case .reboot: configuration.reboot
        case .shutdown: configuration.shutdown
        case .upgradePackages, .planUpgrade: configuration.upgradePackages
        case .restartServices: configuration.restartServices
        case .acceptListener: configuration.acceptListener
        case .killProcess: configuration.killProcess
        case .stopService: configuration.stopService
        case .blockPort, .unblockPort: configuration.blockPort
        case .acceptChange: configuration.acceptChange
        case .revertFile: configuration.revertFile
        case .removeKey: configuration.removeKey
        case .lockUser: configuration.lockUser
        case .removeFromGroup: configuration.removeFromGroup
        case .killWriter: configuration.killWriter
        }
    }

    private func finished(_ command: ResponseCommand, _ report: ActionReport) -> ResponseResult {
        ResponseResult(commandId: command.id, outcome: report.outcome, detail: report.detail, finishedAt: now(), plan: report.plan)
    }
}

extension ResponseAction {
    /// The `responses:` key that enables it.
    var configurationKey: String {
        switch self {
        case .blockIP, .unblockIP: "block_ip"
        case .blockPort, .unblockPort: "block_port"
        default: name
        }
    }
}
