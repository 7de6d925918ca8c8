import Shared

/// What makes two listeners "the same service" across restarts: protocol, bind scope, port, executable and unit or
/// container. A pid, a start time or a specific address change on every restart or DHCP lease; these do not.
///
/// A loopback port in the ephemeral range is keyed without its port: a program that binds `127.0.0.1:0` at each
/// start (language servers, test runners, browsers' debug ports) gets a new port every time, and is one listener.
struct ListenerIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    var transport: ListeningSocket.Transport
    var scope: BindScope
    /// Nil for an ephemeral loopback port.
    var port: UInt16?
    /// The executable's path (without ` (deleted)`), else the process name, else nil for an unknown owner.
    var executable: String?
    /// The systemd unit (session and transient units numbered per run are generalized) or the container.
    var placement: String?

    init(transport: ListeningSocket.Transport, scope: BindScope, port: UInt16?, executable: String?, placement: String?) {
        self.transport = transport
        self.scope = scope
        self.port = port
        self.executable = executable
        self.placement = placement
    }

    init(_ listener: Listener, ephemeralPorts: ClosedRange<UInt16>) {
        let socket = listener.socket
        let owner = listener.owner
        self.init(
            transport: socket.transport, scope: socket.scope,
            port: socket.scope == .loopback && ephemeralPorts.contains(socket.port) ? nil : socket.port,
            executable: owner.map { $0.exePath ?? $0.process },
            placement: owner?.container ?? owner?.unit.map(Self.generalUnit))
    }

    /// The identity as it travels in the evidence and back in `accept_listener`.
    var key: ListenerKey {
        ListenerKey(transport: transport.rawValue, scope: scope.rawValue, port: port.map(Int.init), executable: executable, placement: placement)
    }

    /// The identity a key names; nil for a key no agent makes (an unknown protocol or scope, a port out of range).
    init?(_ key: ListenerKey) {
        guard let transport = ListeningSocket.Transport(rawValue: key.transport), let scope = BindScope(rawValue: key.scope) else { return nil }
        var port: UInt16?
        if let number = key.port {
            guard let valid = UInt16(exactly: number), valid > 0 else { return nil }
            port = valid
        }
        self.init(transport: transport, scope: scope, port: port, executable: key.executable, placement: key.placement)
    }

    /// `session-42.scope` → `session-*.scope`, `run-r3f2….scope` → `run-*.scope`: the same login or `systemd-run`
    /// program gets a new unit name each time, and must stay one listener.
    static func generalUnit(_ unit: String) -> String {
        for prefix in ["session-", "run-"] where unit.hasPrefix(prefix) {
            guard let dot = unit.lastIndex(of: ".") else { return unit }
            return prefix + "*" + unit[dot...]
        }
        return unit
    }

    /// `tcp any:22 /usr/sbin/sshd (ssh.service)`, `tcp loopback:ephemeral /usr/bin/node`.
    var description: String {
        var text = "\(transport.rawValue) \(scope.rawValue):\(port.map(String.init) ?? "ephemeral") \(executable ?? "?")"
        if let placement { text += " (\(placement))" }
        return text
    }

    /// The host's ephemeral port range (`net.ipv4.ip_local_port_range`, used for IPv6 too), Linux's default if unreadable.
    static func ephemeralPorts(proc: ProcFileSystem = ProcFileSystem()) -> ClosedRange<UInt16> {
        let fallback: ClosedRange<UInt16> = 32768...60999
        guard let bytes = proc.read("sys/net/ipv4/ip_local_port_range", limit: 128) else { return fallback }
        let numbers = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap {
            UInt16($0)
        }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return fallback }
        return numbers[0]...numbers[1]
    }
}
