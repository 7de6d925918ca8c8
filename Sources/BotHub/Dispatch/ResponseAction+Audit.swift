import Shared

extension ResponseAction {
    /// The command with every argument, as the audit trail records it: `block_ip ip=203.0.113.7 duration=3600s`.
    var auditText: String {
        switch self {
        case .blockIP(let ip, let seconds): "block_ip ip=\(ip) duration=\(seconds.map { "\($0)s" } ?? "permanent")"
        case .unblockIP(let ip): "unblock_ip ip=\(ip)"
        case .killSession(let pid, let startTime): "kill_session pid=\(pid) start_time=\(startTime)"
        case .reboot: "reboot"
        case .shutdown: "shutdown"
        case .upgradePackages(let pins, let planHash, let simulate):
            "upgrade_packages\(simulate ? " simulate" : "") plan=\(planHash ?? "-") pins=\(pins.joined(separator: ","))"
        case .restartServices(let units): "restart_services units=\(units.joined(separator: ","))"
        }
    }
}
