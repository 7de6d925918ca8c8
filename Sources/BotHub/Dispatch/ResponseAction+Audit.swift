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
        case .acceptListener(let key):
            "accept_listener \(key.transport) \(key.scope):\(key.port.map(String.init) ?? "ephemeral") \(key.executable ?? "?")"
        case .killProcess(let pid, let startTime, _): "kill_process pid=\(pid) start_time=\(startTime)"
        case .stopService(let unit, let disable, _): "stop_service unit=\(unit)\(disable ? " disable" : "")"
        case .blockPort(let transport, let port): "block_port \(transport)/\(port)"
        case .unblockPort(let transport, let port): "unblock_port \(transport)/\(port)"
        }
    }
}
