import Foundation
import Shared

/// One alert as the terminal shows it (`bothub alerts`, `show`, and their `--json`): the subject in a few words, its
/// state, and the choices still open, which are exactly what `bothub choose` accepts.
struct AlertListing: Encodable {
    var id: String
    var shortId: String
    var agent: String
    var host: String
    var kind: String
    var severity: String
    var subject: String
    var observedAt: Date
    var receivedAt: Date
    /// `open`, `handling` or `handled`.
    var status: String
    var handledBy: String?
    var handledAt: Date?
    /// The outcome line, as plain text in the hub's language.
    var outcome: String?
    /// What `bothub choose` accepts now: the offered actions while the alert is open and its buttons live, `unblock`
    /// while a block made from it is in place, else nothing.
    var available: [String]
    /// Every action the agent offered.
    var offered: [String]
    /// The evidence lines of the Telegram message, as plain text.
    var evidence: [String]

    init(_ stored: StoredAlert, alert: Alert, evidence: [String], blockedFromIt: Bool, now: Date, settings: ChoiceSettings) {
        id = stored.id
        shortId = stored.shortId
        agent = stored.agent
        host = alert.hostname
        kind = stored.kind.rawValue
        severity = stored.severity.rawValue
        subject = Self.subject(alert.subject)
        observedAt = stored.observedAt
        receivedAt = stored.receivedAt
        status = stored.status.rawValue
        handledBy = stored.handledBy
        handledAt = stored.handledAt
        outcome = stored.outcome.map(PlainText.from(html:))
        offered = alert.actions.map(\.rawValue)
        self.evidence = evidence.map(PlainText.from(html:))
        switch stored.status {
        case .open where now.timeIntervalSince(stored.receivedAt) <= settings.buttonLifetime: available = offered
        case .handled where blockedFromIt: available = ["unblock"]
        default: available = []
        }
    }

    /// The subject in a few words: `root@203.0.113.9`, `203.0.113.7 (25×404)`, `97.0% CPU`.
    static func subject(_ subject: AlertSubject) -> String {
        switch subject {
        case .sshSession(let session): "\(session.user)@\(session.ip)"
        case .sshBruteForce(let attack): "\(attack.ip) (\(attack.attempts) failures)"
        case .cpu(let load): "\(AlertMessageRenderer.percent(load.percent))% CPU"
        case .http404(let burst): "\(burst.ip) (\(burst.count)×404)"
        case .agent(let health): String(health.detail.prefix(60))
        case .listener(let listener): "\(listener.transport) \(listener.address):\(listener.port) \(listener.process ?? "?")"
        case .securityUpdates(let updates):
            "\(updates.pendingSources) security updates (\(updates.sources.prefix(3).map(\.source).joined(separator: ", ")))"
        case .upgradeFinished(let end): "upgrade \(end.outcome.name): \(end.installed.prefix(3).joined(separator: ", "))"
        case .restartNeeded(let restart):
            "restart \((restart.units + restart.processes).prefix(3).joined(separator: ", "))\(restart.rebootRequired ? " + reboot" : "")"
        case .identity(let change): "\(change.path): \(change.changes.first?.detail.prefix(60) ?? "changed")"
        }
    }
}

extension HubTerminal {
    /// The listing of `stored` (evidence in the hub's language).
    func listing(_ stored: StoredAlert, catalogs: MessageCatalogs, now: Date, settings: ChoiceSettings = ChoiceSettings()) throws -> AlertListing {
        let alert = try stored.decoded()
        let evidence = AlertMessageRenderer(catalogs: catalogs).evidence(alert.subject, language: configuration.language)
        let blocked = try store.activeBlocks(now: now).contains { $0.alertID == stored.id }
        return AlertListing(stored, alert: alert, evidence: evidence, blockedFromIt: blocked, now: now, settings: settings)
    }
}
