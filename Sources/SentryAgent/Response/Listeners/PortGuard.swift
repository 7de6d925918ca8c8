import Shared

/// The ports a port block must never cover: the agent's own listen port (the hub's way to it), the hub's port (an
/// agent beside its hub), and sshd's effective ports (`sshd -T`, the operator's way in). Computed per request, as
/// sshd's configuration may change under a running agent.
struct PortGuard: Sendable {
    var agentPort: UInt16?
    var hubPort: UInt16?
    /// Nil when sshd is not installed.
    var sshd: String?
    var runner: any CommandRunner = ProcessCommandRunner()

    /// Why blocking `port` is refused, or nil when it may be blocked.
    func refusal(for port: BlockedPort) async -> String? {
        // Only TCP carries these paths; a UDP block on the same number cuts none of them.
        guard port.transport == .tcp else { return nil }
        if port.port == agentPort { return "port \(port.port) is the agent's own listen port" }
        if port.port == hubPort { return "port \(port.port) is the hub's port" }
        let ssh = await sshdPorts()
        if ssh.ports.contains(port.port) { return "port \(port.port) is sshd's port (\(ssh.source))" }
        return nil
    }

    /// sshd's ports from `sshd -T`; 22 when sshd is installed but `-T` cannot tell (safe side), none without sshd.
    func sshdPorts() async -> (ports: Set<UInt16>, source: String) {
        guard let sshd else { return ([], "no sshd") }
        let output = await runner.run(ProgramInvocation(sshd, ["-T"], timeout: .seconds(10)))
        guard output.succeeded else { return ([22], "sshd -T failed, assuming 22") }
        let ports = Self.ports(inEffectiveConfiguration: String(decoding: output.standardOutput, as: UTF8.self))
        return ports.isEmpty ? ([22], "sshd -T named no port, assuming 22") : (ports, "sshd -T")
    }

    /// The `port N` lines of `sshd -T` (keywords print in lower case, one per line, `port` once per port).
    static func ports(inEffectiveConfiguration text: String) -> Set<UInt16> {
        var ports: Set<UInt16> = []
        for line in text.split(separator: "\n") where line.hasPrefix("port ") {
            if let word = line.dropFirst("port ".count).split(separator: " ").first, let port = UInt16(word) { ports.insert(port) }
        }
        return ports
    }
}
