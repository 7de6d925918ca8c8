import Shared

extension ResponseAction {
    /// The command with every argument, as the audit trail records it: `block_ip ip=203.0.113.7 duration=3600s`.
    var auditText: String {
        switch self {
        case .blockIP(let ip, let seconds): "\(name) ip=\(ip) duration=\(seconds.map { "\($0)s" } ?? "permanent")"
        case .unblockIP(let ip): "\(name) ip=\(ip)"
        case .killSession(let pid, let startTime), .killProcess(let pid, let startTime, _), .killWriter(let pid, let startTime):
            "\(name) pid=\(pid) start_time=\(startTime)"
        case .reboot, .shutdown: name
        case .acceptListener(let key):
            "\(name) \(key.transport) \(key.scope):\(key.port.map(String.init) ?? "ephemeral") \(key.executable ?? "?")"
        case .stopService(let unit, let disable, _): "\(name) unit=\(unit)\(disable ? " disable" : "")"
        case .blockPort(let transport, let port), .unblockPort(let transport, let port): "\(name) \(transport)/\(port)"
        case .upgradePackages(let pins, let planHash, let simulate):
            "\(name)\(simulate ? " simulate" : "") plan=\(planHash ?? "-") pins=\(pins.joined(separator: ","))"
        case .restartServices(let units): "\(name) units=\(units.joined(separator: ","))"
        case .acceptChange(let path, let sha256): "\(name) path=\(path) sha256=\(sha256 ?? "absent")"
        case .revertFile(let path, let sha256, let before): "\(name) path=\(path) sha256=\(sha256) to=\(before)"
        case .removeKey(let path, let fingerprint): "\(name) path=\(path) key=\(fingerprint)"
        case .lockUser(let user): "\(name) user=\(user)"
        case .removeFromGroup(let user, let group): "\(name) user=\(user) group=\(group)"
        case .planUpgrade(let sources): "\(name) \(sources.map { "\($0.source)>=\($0.fixed)" }.joined(separator: ","))"
        }
    }
}
