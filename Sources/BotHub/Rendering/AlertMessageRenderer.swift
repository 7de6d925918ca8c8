import Foundation
import Shared

/// A rendered alert: HTML text and the rows of its inline keyboard.
struct RenderedAlert: Equatable {
    var html: String
    /// Rows of buttons; each `callback_data` is `v1:<choice>:<short alert id>`, all other state stays in the hub.
    var keyboard: [[InlineButton]]
}

/// Turns an alert into a Telegram message in one language. Pure: no I/O, every value escaped by the catalogs.
struct AlertMessageRenderer {
    let catalogs: MessageCatalogs

    /// `shortID` is the stored alert's (usually 12 digits, longer when another alert held those), never recomputed here.
    func render(_ alert: Alert, shortID: String, language: String) -> RenderedAlert {
        func text(_ key: MessageKey, _ values: [String: String] = [:]) -> String {
            catalogs.text(key, language: language, values)
        }
        var lines = [
            text(.alertHeadline, ["severity": text(Self.key(for: alert.severity)), "host": alert.hostname, "title": text(Self.key(for: alert.kind))])
        ]
        lines += evidence(alert.subject, language: language)
        lines.append(text(.alertObservedAt, ["time": MessageTime.format(alert.observedAt)]))

        var buttons: [InlineButton] = []
        for action in alert.actions {
            if action == .upgradePackages, case .securityUpdates(let updates) = alert.subject {
                buttons += Self.upgradeButtons(updates, shortID: shortID, text: text)
            } else {
                buttons.append(
                    InlineButton(text: text(Self.key(for: action)), callbackData: CallbackData(choice: .action(action), shortID: shortID).text))
            }
        }
        if case .securityUpdates = alert.subject {
            buttons.append(InlineButton(text: text(.buttonShowAll), callbackData: CallbackData(choice: .showAll, shortID: shortID).text))
            buttons.append(InlineButton(text: text(.buttonSnooze), callbackData: CallbackData(choice: .snooze, shortID: shortID).text))
        }
        // Two buttons a row keeps labels readable on a phone.
        let rows = stride(from: 0, to: buttons.count, by: 2).map { Array(buttons[$0..<min($0 + 2, buttons.count)]) }
        return RenderedAlert(html: lines.joined(separator: "\n"), keyboard: rows)
    }

    /// The evidence lines of an alert (the message's body; `bothub show` prints the same lines).
    func evidence(_ subject: AlertSubject, language: String) -> [String] {
        func text(_ key: MessageKey, _ values: [String: String] = [:]) -> String {
            catalogs.text(key, language: language, values)
        }
        func last(_ seconds: Int) -> String { MessageTime.lastWindow(seconds: seconds, catalogs: catalogs, language: language) }
        switch subject {
        case .sshSession(let session):
            return [
                text(
                    .evidenceSSHSession,
                    ["user": session.user, "ip": session.ip, "port": String(session.port), "method": session.method, "pid": String(session.pid)]
                )
            ]
        case .sshBruteForce(let attack):
            return [
                text(
                    .evidenceSSHBruteForce,
                    [
                        "ip": attack.ip, "attempts": catalogs.text(.pluralTimes, language: language, count: attack.attempts),
                        "window": last(attack.windowSeconds),
                        "users": attack.users.joined(separator: ", "),
                    ]
                )
            ] + Self.networkAddresses(attack.addresses, text: text)
        case .cpu(let load):
            let head = text(.evidenceCPU, ["percent": Self.percent(load.percent), "window": MessageTime.span(TimeInterval(load.windowSeconds))])
            return [head]
                + load.topProcesses.map {
                    text(.evidenceCPUProcess, ["name": $0.name, "pid": String($0.pid), "user": $0.user, "percent": Self.percent($0.percent)])
                }
        case .http404(let burst):
            return [
                text(
                    .evidenceHTTP404,
                    [
                        "ip": burst.ip, "count": String(burst.count), "paths": String(burst.distinctPaths),
                        "window": last(burst.windowSeconds), "samples": burst.samplePaths.prefix(5).joined(separator: " "),
                    ]
                )
            ] + Self.networkAddresses(burst.addresses, text: text)
        case .agent(let health):
            return [text(.evidenceAgent, ["detail": health.detail])]
        case .listener(let listener):
            return Self.listenerLines(listener, text: text)
        case .securityUpdates(let updates):
            return securityUpdateLines(updates, language: language)
        case .upgradeFinished(let end):
            return [Self.upgradeEndLine(end, text: text)]
        case .restartNeeded(let restart):
            var lines: [String] = []
            if !restart.units.isEmpty || !restart.processes.isEmpty {
                lines.append(
                    text(
                        .evidenceRestartNeeded,
                        [
                            "services": (restart.units + restart.processes).prefix(10).joined(separator: ", "),
                            "packages": restart.packages.prefix(10).joined(separator: ", "),
                        ]))
            }
            if restart.rebootRequired { lines.append(text(.evidenceRebootRequired)) }
            return lines
        case .identity(let change):
            return Self.identityLines(change, text: text)
        }
    }

    /// "✅ upgraded: openssl 3.0.17-1~deb12u2" or "❌ failed (reason)" with the tail of apt's output.
    static func upgradeEndLine(_ end: UpgradeFinishedEvidence, text: (MessageKey, [String: String]) -> String) -> String {
        switch end.outcome {
        case .done, .alreadyDone, .started:
            return text(.outcomeUpgradeDone, ["installed": end.installed.prefix(20).joined(separator: ", ")])
        case .refused(let reason), .failed(let reason):
            var line = text(.outcomeUpgradeFailed, ["reason": String(reason.prefix(500))])
            // The agent bounds the tail; the hub bounds it again (a message holds 4,096 characters).
            if let tail = end.outputTail, !tail.isEmpty { line += "\n" + text(.outcomeUpgradeOutput, ["output": String(tail.suffix(1500))]) }
            return line
        }
    }

    /// Upgrade <source> for the first few listed (not held) source packages that carry pins, and Upgrade all N.
    static func upgradeButtons(_ updates: SecurityUpdatesEvidence, shortID: String, text: (MessageKey, [String: String]) -> String) -> [InlineButton]
    {
        var buttons: [InlineButton] = []
        for (index, source) in updates.sources.prefix(CallbackData.upgradeButtons).enumerated() where !source.held && !(source.pins ?? []).isEmpty {
            buttons.append(
                InlineButton(
                    text: text(.buttonUpgradeSource, ["source": source.source]),
                    callbackData: CallbackData(choice: .upgrade(index), shortID: shortID).text))
        }
        let upgradable = updates.sources.filter { !$0.held && !($0.pins ?? []).isEmpty }.count
        if upgradable > 1 {
            buttons.append(
                InlineButton(
                    text: text(.buttonUpgradeAll, ["count": String(upgradable)]),
                    callbackData: CallbackData(choice: .upgrade(nil), shortID: shortID).text))
        }
        return buttons
    }

    /// Which file, what changed in words, and who wrote it (or how it was found when the writer is unknown).
    private static func identityLines(_ change: IdentityEvidence, text: (MessageKey, [String: String]) -> String) -> [String] {
        let size: String =
            switch (change.sizeBefore, change.sizeAfter) {
            case (nil, let after?): "created, \(after) B"
            case (let before?, nil): "removed, was \(before) B"
            case (let before?, let after?): "\(before) → \(after) B"
            case (nil, nil): "—"
            }
        var lines = [text(.evidenceIdentity, ["path": change.path, "category": change.category, "size": size])]
        lines += change.changes.prefix(10).map { text(.evidenceIdentityFact, ["detail": $0.detail]) }
        if let writer = change.writer {
            let user = writer.loginUser ?? writer.loginUID.map(String.init) ?? "—"
            lines.append(text(.evidenceIdentityWriter, ["exe": writer.exe ?? "?", "pid": String(writer.pid), "user": user]))
            if let session = writer.sshSessionPID {
                lines.append(text(.evidenceIdentitySession, ["ip": writer.sshFrom ?? "?", "pid": String(session)]))
            }
            if !writer.parents.isEmpty { lines.append(text(.evidenceIdentityParents, ["parents": writer.parents.joined(separator: " ← ")])) }
            if let command = writer.commandLine, !command.isEmpty { lines.append(text(.evidenceIdentityCommand, ["command": command])) }
        } else {
            lines.append(text(.evidenceIdentityUnseen, ["how": change.seenBy]))
        }
        if let paths = change.digestPaths, !paths.isEmpty {
            lines.append(text(.evidenceIdentityDigest, ["paths": paths.prefix(20).joined(separator: ", ") + (paths.count > 20 ? ", …" : "")]))
        }
        return lines
    }

    /// What opened, who holds it, where it came from, and why it is this severe.
    private static func listenerLines(_ listener: ListenerEvidence, text: (MessageKey, [String: String]) -> String) -> [String] {
        let unknown = "?"
        var lines = [
            text(
                .evidenceListener,
                [
                    "protocol": listener.transport, "address": listener.address, "port": String(listener.port), "scope": listener.scope,
                    "process": listener.process ?? unknown, "pid": listener.pid.map(String.init) ?? unknown, "user": listener.user ?? unknown,
                ])
        ]
        lines.append(text(.evidenceListenerExe, ["exe": listener.exe ?? unknown, "package": listener.package ?? "—"]))
        if let unit = listener.container ?? listener.unit { lines.append(text(.evidenceListenerUnit, ["unit": unit])) }
        if let command = listener.commandLine, !command.isEmpty { lines.append(text(.evidenceListenerCommand, ["command": command])) }
        if !listener.reasons.isEmpty { lines.append(text(.evidenceListenerReasons, ["reasons": listener.reasons.joined(separator: "; ")])) }
        return lines
    }

    /// The pending totals with the index's age, then one line per newly pending source package (a kernel's marked
    /// as needing a reboot), capped so a host far behind still fits one message.
    private func securityUpdateLines(_ updates: SecurityUpdatesEvidence, language: String) -> [String] {
        func text(_ key: MessageKey, _ values: [String: String] = [:]) -> String {
            catalogs.text(key, language: language, values)
        }
        let age = updates.indexAgeSeconds.map { MessageTime.span(TimeInterval($0)) } ?? "?"
        var lines = [
            text(
                .evidenceSecurityUpdates,
                [
                    "updates": catalogs.text(.pluralSecurityUpdates, language: language, count: updates.pendingSources),
                    "packages": catalogs.text(.pluralPackages, language: language, count: updates.pendingPackages), "age": age,
                ])
        ]
        if let seconds = updates.indexAgeSeconds, seconds > 48 * 3600 { lines.append(text(.evidenceSecurityUpdatesStale, ["age": age])) }
        let shown = updates.sources.prefix(Self.securitySourcesShown)
        for source in shown {
            var line = text(
                .evidenceSecuritySource,
                [
                    "source": source.source, "installed": source.installed, "candidate": source.candidate,
                    "packages": source.packages.prefix(6).joined(separator: ", ") + (source.packages.count > 6 ? ", …" : ""),
                ])
            if source.needsReboot { line += " · " + text(.evidenceSecurityReboot) }
            if source.held { line += " · " + text(.evidenceSecurityHeld) }
            lines.append(line)
        }
        if updates.sources.count > shown.count { lines.append(text(.evidenceSecurityMore, ["count": String(updates.sources.count - shown.count)])) }
        return lines
    }

    /// Source packages listed in one message; the rest are counted (Telegram caps a message at 4,096 characters).
    static let securitySourcesShown = 10

    /// The line listing the addresses an IPv6 network alert saw (none for a single address or an older agent).
    private static func networkAddresses(_ addresses: [String]?, text: (MessageKey, [String: String]) -> String) -> [String] {
        guard let addresses, !addresses.isEmpty else { return [] }
        // The agent caps the list; a hub must not trust that cap to keep a message within Telegram's limit.
        return [text(.evidenceNetworkAddresses, ["addresses": addresses.prefix(10).joined(separator: ", ")])]
    }

    static func percent(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    static func key(for severity: Severity) -> MessageKey {
        switch severity {
        case .info: .severityInfo
        case .warning: .severityWarning
        case .critical: .severityCritical
        }
    }

    static func key(for kind: AlertKind) -> MessageKey {
        switch kind {
        case .sshSession: .kindSSHSession
        case .sshBruteForce: .kindSSHBruteForce
        case .cpuSustained: .kindCPUSustained
        case .cpuRecovered: .kindCPURecovered
        case .http404Burst: .kindHTTP404Burst
        case .agentOffline: .kindAgentOffline
        case .agentRecovered: .kindAgentRecovered
        case .detectorUnhealthy: .kindDetectorUnhealthy
        case .newListener: .kindNewListener
        case .securityUpdates: .kindSecurityUpdates
        case .upgradeFinished: .kindUpgradeFinished
        case .restartNeeded: .kindRestartNeeded
        case .identityChange: .kindIdentityChange
        }
    }

    /// The action's button label (`AlertAction.rule`).
    static func key(for action: AlertAction) -> MessageKey {
        action.rule.label
    }
}
