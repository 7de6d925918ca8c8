/// Every catalog key the code uses. A test checks each catalog has exactly these keys, with English's placeholders.
/// A key under `plural.` is a counted phrase: the catalog holds one template per `PluralForm` (see
/// `MessageCatalogs.text(_:language:count:_:)`).
public enum MessageKey: String, CaseIterable, Sendable {
    case alertHeadline = "alert.headline"
    case alertObservedAt = "alert.observed_at"
    case evidenceSSHSession = "evidence.ssh_session"
    case evidenceSSHBruteForce = "evidence.ssh_bruteforce"
    case evidenceCPU = "evidence.cpu"
    case evidenceCPUProcess = "evidence.cpu_process"
    case evidenceHTTP404 = "evidence.http_404"
    case evidenceAgent = "evidence.agent"

    case kindSSHSession = "kind.ssh_session"
    case kindSSHBruteForce = "kind.ssh_bruteforce"
    case kindCPUSustained = "kind.cpu_sustained"
    case kindCPURecovered = "kind.cpu_recovered"
    case kindHTTP404Burst = "kind.http_404_burst"
    case kindAgentOffline = "kind.agent_offline"
    case kindAgentRecovered = "kind.agent_recovered"
    case kindDetectorUnhealthy = "kind.detector_unhealthy"

    case severityInfo = "severity.info"
    case severityWarning = "severity.warning"
    case severityCritical = "severity.critical"

    case actionAcknowledge = "action.acknowledge"
    case actionIgnore = "action.ignore"
    case actionKillSession = "action.kill_session"
    case actionBlockIP1h = "action.block_ip_1h"
    case actionBlockIP24h = "action.block_ip_24h"
    case actionBlockIPPermanent = "action.block_ip_permanent"
    case actionReboot = "action.reboot"
    case actionShutdown = "action.shutdown"
    case actionUnblock = "action.unblock"

    case outcomePending = "outcome.pending"
    case outcomeDone = "outcome.done"
    case outcomeAlreadyDone = "outcome.already_done"
    case outcomeRefused = "outcome.refused"
    case outcomeFailed = "outcome.failed"
    case outcomeAcknowledged = "outcome.acknowledged"
    case outcomeIgnored = "outcome.ignored"
    case outcomeDetail = "outcome.detail"

    case confirmReboot = "confirm.reboot"
    case confirmShutdown = "confirm.shutdown"
    case buttonConfirmReboot = "button.confirm_reboot"
    case buttonConfirmShutdown = "button.confirm_shutdown"
    case buttonCancel = "button.cancel"
    case buttonUnblock = "button.unblock"

    case toastWorking = "toast.working"
    case toastNotOperator = "toast.not_operator"
    case toastNeedsAdmin = "toast.needs_admin"
    case toastExpired = "toast.expired"
    case toastHandled = "toast.handled"
    case toastInvalid = "toast.invalid"
    case toastConfirm = "toast.confirm"
    case toastConfirmExpired = "toast.confirm_expired"
    case toastCancelled = "toast.cancelled"

    case commandStartOperator = "command.start_operator"
    case commandStartMember = "command.start_member"
    case commandStartUnknown = "command.start_unknown"
    case commandHelp = "command.help"
    case commandStatusHeader = "command.status_header"
    case commandStatusAgent = "command.status_agent"
    case commandStatusNever = "command.status_never"
    case commandStatusNone = "command.status_none"
    case commandBlocksHeader = "command.blocks_header"
    case commandBlocksEntry = "command.blocks_entry"
    case commandBlocksPermanent = "command.blocks_permanent"
    case commandBlocksNone = "command.blocks_none"
    case commandBlocksUnreachable = "command.blocks_unreachable"
    case commandUnblockUsage = "command.unblock_usage"
    case commandMuteUsage = "command.mute_usage"
    case commandMuted = "command.muted"
    case commandUnmuted = "command.unmuted"
    case commandNotMuted = "command.not_muted"
    case commandLanguageChanged = "command.language_changed"
    case commandLanguageUnknown = "command.language_unknown"
    case commandNotOperator = "command.not_operator"
    case commandUnknown = "command.unknown"
    case commandUnknownAgent = "command.unknown_agent"

    case digestSummary = "digest.summary"
    case digestTopEntry = "digest.top_entry"
    case digestShowHeader = "digest.show_header"
    case digestShowEntry = "digest.show_entry"
    case digestBlockOutcome = "digest.block_outcome"
    case buttonDigestBlock = "button.digest_block"
    case buttonDigestShow = "button.digest_show"

    case timeAgo = "time.ago"
    case timeLastMinute = "time.last_minute"
    case timeLast = "time.last"
    case pluralAddresses = "plural.addresses"
    case pluralOpenAlerts = "plural.open_alerts"
    case pluralTimes = "plural.times"

    /// True for a counted phrase, stored as one template per plural form.
    public var isPlural: Bool { rawValue.hasPrefix("plural.") }

    /// The flattened catalog keys this key stands for: itself, or one per plural form.
    public var catalogKeys: [String] {
        isPlural ? PluralForm.allCases.map { "\(rawValue).\($0.rawValue)" } : [rawValue]
    }
}
