/// Every catalog key the code uses. A test checks each catalog has exactly these keys, with English's placeholders.
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
}
