import Shared

extension ResponseAction {
    /// The command with every argument, as the audit trail records it: `block_ip ip=203.0.113.7 duration=3600s`.
    var auditText: String {
        switch self {
        case .blockIP(let ip, let seconds): "\(name) ip=\(ip) duration=\(seconds.map { "\($0)s" } ?? "permanent")"
        case .unblockIP(let ip): "\(name) ip=\(ip)"
        case .killSession(let pid, let startTime): "\(name) pid=\(pid) start_time=\(startTime)"
        case .reboot, .shutdown: name
        }
    }
}
