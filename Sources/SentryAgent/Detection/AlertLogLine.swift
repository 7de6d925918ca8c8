import Shared

/// The agent's log line for an alert: kind, severity and subject, so that `journalctl -u sentry-agent` says who and
/// how much without the hub (`http_404_burst warning 203.0.113.7 25×404/60s`).
enum AlertLogLine {
    static func text(_ alert: Alert) -> String {
        "\(alert.kind.rawValue) \(alert.severity.rawValue) \(subject(alert.subject))"
    }

    static func subject(_ subject: AlertSubject) -> String {
        switch subject {
        case .http404(let evidence):
            "\(evidence.ip) \(evidence.count)×404/\(evidence.windowSeconds)s"
        case .sshBruteForce(let evidence):
            "\(evidence.ip) \(evidence.attempts) attempts/\(evidence.windowSeconds)s"
        case .sshSession(let evidence):
            "\(evidence.user)@\(evidence.ip) \(evidence.method)"
        case .cpu(let evidence):
            "\(Int(evidence.percent.rounded()))%/\(evidence.windowSeconds)s"
        case .agent(let evidence):
            evidence.detail
        case .listener(let evidence):
            "\(evidence.transport) \(evidence.address):\(evidence.port) \(evidence.exe ?? evidence.process ?? "?") pid \(evidence.pid.map(String.init) ?? "?")"
        case .securityUpdates(let evidence):
            "\(evidence.pendingSources) sources/\(evidence.pendingPackages) packages pending, new: "
                + evidence.sources.prefix(5).map { "\($0.source) \($0.candidate)" }.joined(separator: ", ")
        case .upgradeFinished(let evidence):
            "upgrade \(evidence.commandId) \(evidence.outcome.name): \(evidence.installed.joined(separator: ", "))"
        case .restartNeeded(let evidence):
            "restart \(evidence.units.joined(separator: " ")) \(evidence.processes.joined(separator: " "))\(evidence.rebootRequired ? " reboot required" : "")"
        case .identity(let evidence):
            "\(evidence.path) \(evidence.changes.first?.detail ?? "changed") by \(evidence.writer?.exe ?? evidence.seenBy)"
        }
    }
}
