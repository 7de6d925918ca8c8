import FoundationEssentials

extension AlertSubject {
    /// The remote address the alert is about (the client a block names), if any; a listener's own address is not one.
    public var remoteAddress: String? {
        switch self {
        case .sshSession(let session): session.ip
        case .sshBruteForce(let attack): attack.ip
        case .http404(let burst): burst.ip
        // The client of the SSH session the change was made from.
        case .identity(let change): change.writer?.sshFrom
        case .cpu, .agent, .listener, .securityUpdates, .upgradeFinished, .restartNeeded: nil
        }
    }

    /// The protocol (`tcp`/`udp`) and port a listener alert is about: what Block port closes.
    public var listenerPort: (transport: String, port: Int)? {
        guard case .listener(let listener) = self else { return nil }
        return (listener.transport, listener.port)
    }
}

extension AlertAction {
    /// How long a block action blocks (nil inside: permanent); nil for actions that block nothing.
    public var blockDuration: Duration?? {
        switch self {
        case .blockIP1h: .some(.seconds(3600))
        case .blockIP24h: .some(.seconds(86_400))
        case .blockIPPermanent: .some(nil)
        case .acknowledge, .ignore, .killSession, .reboot, .shutdown: nil
        case .acceptListener, .killProcess, .stopService, .stopDisableService, .blockPort, .muteProgram: nil
        case .upgradePackages, .restartServices: nil
        case .acceptChange, .revertFile, .removeKey, .lockUser, .removeFromGroup, .killWriter: nil
        }
    }
}

/// Why an alert's action cannot become a command (the alert lacks what the command needs, or nothing is sent for it).
public struct CommandConstructionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line fit for the operator and the log.
    public let description: String
}

extension ResponseAction {
    /// The agent command that `action` on `alert` stands for, built from the alert alone: nothing from a button or a
    /// chat reaches a command. This is the one place that maps an offered action to what the agent runs.
    public init(for action: AlertAction, on alert: Alert) throws(CommandConstructionError) {
        switch action {
        case .blockIP1h, .blockIP24h, .blockIPPermanent:
            guard let ip = alert.subject.remoteAddress, let duration = action.blockDuration else {
                throw CommandConstructionError(description: "this alert has no address to block")
            }
            self = .blockIP(ip: ip, durationSeconds: duration.map { Int($0.components.seconds) })
        case .killSession:
            if case .identity(let change) = alert.subject {
                // The SSH session the change was made from.
                guard let writer = change.writer, let pid = writer.sshSessionPID, let startTime = writer.sshSessionStartTime else {
                    throw CommandConstructionError(description: "the change was made from no SSH session recorded with its start time")
                }
                self = .killSession(pid: pid, startTime: startTime)
                return
            }
            guard case .sshSession(let session) = alert.subject, let startTime = session.pidStartTime else {
                throw CommandConstructionError(description: "the session's start time was not recorded, so it cannot be killed safely")
            }
            self = .killSession(pid: session.pid, startTime: startTime)
        case .reboot: self = .reboot
        case .shutdown: self = .shutdown
        case .acceptListener:
            guard case .listener(let listener) = alert.subject, let key = listener.identity else {
                throw CommandConstructionError(description: "this alert names no listener identity to accept")
            }
            self = .acceptListener(key)
        case .killProcess:
            guard case .listener(let listener) = alert.subject, let pid = listener.pid, let startTime = listener.pidStartTime else {
                throw CommandConstructionError(description: "the listener's process and start time were not recorded, so it cannot be killed safely")
            }
            self = .killProcess(pid: pid, startTime: startTime, listener: listener.identity)
        case .stopService, .stopDisableService:
            guard case .listener(let listener) = alert.subject, let unit = listener.unit else {
                throw CommandConstructionError(description: "the listener runs in no systemd unit")
            }
            self = .stopService(unit: unit, disable: action == .stopDisableService, listener: listener.identity)
        case .blockPort:
            guard let port = alert.subject.listenerPort else { throw CommandConstructionError(description: "this alert names no port to block") }
            self = .blockPort(transport: port.transport, port: port.port)
        case .restartServices:
            guard case .restartNeeded(let restart) = alert.subject, !restart.units.isEmpty else {
                throw CommandConstructionError(description: "this alert names no service to restart")
            }
            self = .restartServices(units: restart.units)
        case .acceptChange, .revertFile, .removeKey, .lockUser, .removeFromGroup, .killWriter:
            guard case .identity(let change) = alert.subject else {
                throw CommandConstructionError(description: "this alert is not an identity change")
            }
            self = try ResponseAction(identity: action, on: change)
        case .upgradePackages:
            // Only from a confirmed simulation, whose plan hash the command must carry (the hub's ChoiceHandler+Upgrade).
            throw CommandConstructionError(description: "an upgrade needs a confirmed plan")
        case .acknowledge, .ignore, .muteProgram:
            throw CommandConstructionError(description: "\(action.rawValue) needs no command")
        }
    }
}

extension ResponseCommand {
    /// The sealed command for `action` on `alert`, chosen by `requester` at `issuedAt` and refused by the agent after
    /// `lifetime` seconds.
    public init(
        for action: AlertAction, on alert: Alert, by requester: Operator, issuedAt: Date, lifetime: TimeInterval
    ) throws(CommandConstructionError) {
        self.init(try ResponseAction(for: action, on: alert), on: alert, by: requester, issuedAt: issuedAt, lifetime: lifetime)
    }

    /// The sealed command carrying `action` about `alert`, refused by the agent after `lifetime` seconds: for an action
    /// built from the alert beforehand (an upgrade's pins and confirmed plan).
    public init(_ action: ResponseAction, on alert: Alert, by requester: Operator, issuedAt: Date, lifetime: TimeInterval) {
        self.init(
            alertId: alert.id, action: action, requestedBy: requester, issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime))
    }

    /// The simulated upgrade of `pins` (from `alert`'s security updates): the first tap of Upgrade, which changes nothing
    /// on the agent and answers with the plan a second tap confirms by its hash.
    public init(simulatingUpgradeOf pins: [String], on alert: Alert, by requester: Operator, issuedAt: Date, lifetime: TimeInterval) {
        self.init(.upgradePackages(pins: pins, planHash: nil, simulate: true), on: alert, by: requester, issuedAt: issuedAt, lifetime: lifetime)
    }
}

extension ResponseCommand {
    /// The command that lifts the block made from `alert`: its remote address, nothing from the button.
    public init(unblocking alert: Alert, by requester: Operator, issuedAt: Date, lifetime: TimeInterval) throws(CommandConstructionError) {
        let action: ResponseAction
        if let ip = alert.subject.remoteAddress {
            action = .unblockIP(ip: ip)
        } else if let port = alert.subject.listenerPort {
            action = .unblockPort(transport: port.transport, port: port.port)
        } else {
            throw CommandConstructionError(description: "this alert has no address or port to unblock")
        }
        self.init(action, on: alert, by: requester, issuedAt: issuedAt, lifetime: lifetime)
    }
}
