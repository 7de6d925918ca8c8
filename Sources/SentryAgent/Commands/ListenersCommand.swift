import ArgumentParser
import FoundationEssentials
import Shared

/// `sentry-agent listeners`: every listening socket of this network namespace as one JSON object per line, with the
/// owner, package and the severity an alert for it would carry. Its (protocol, port, pid) set is `ss -Htulnp`'s.
struct ListenersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listeners",
        abstract: "Print each listening TCP and unconnected UDP socket as a JSON line: owner, unit, package, scope and severity.",
        discussion: """
            Reads the kernel's socket table through NETLINK_SOCK_DIAG (falling back to /proc/net/{tcp,tcp6,udp,udp6}) of \
            the network namespace it runs in; run it under `ip netns exec` or `nsenter --net` for another one. Owners need \
            root (other users' /proc/<pid>/fd are not readable); pid is null when unknown.
            """
    )

    @Option(help: "Where sockets are read from: auto (sock_diag, else /proc/net), netlink or proc.")
    var source: ListenerScanner.Source = .auto

    func run() throws {
        var scanner = ListenerScanner(source: source)
        let listeners: [Listener]
        do {
            listeners = try scanner.scan()
        } catch {
            FileOutput.standardError.write("cannot list listening sockets: \(error)\n")
            throw ExitCode.failure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for listener in listeners {
            FileOutput.standardOutput.write(Data(try encoder.encode(ListenerRecord(listener))) + Data("\n".utf8))
        }
    }
}

extension ListenerScanner.Source: ExpressibleByArgument {}

/// The CLI's JSON object for one listener; unknown fields are `null`, not missing, so scripts can rely on the keys.
struct ListenerRecord: Encodable, Equatable {
    var transport: ListeningSocket.Transport
    var address: String
    var port: UInt16
    var pid: Int32?
    var pids: [Int32]
    var process: String?
    var exe: String?
    var commandLine: String?
    var user: String?
    var unit: String?
    var container: String?
    var package: String?
    var scope: BindScope
    var severity: Severity
    var reasons: [String]

    init(_ listener: Listener) {
        let owner = listener.owner
        let (severity, reasons) = ListenerSeverity.assess(listener)
        transport = listener.socket.transport
        address = listener.socket.address.description
        port = listener.socket.port
        pid = owner?.pid
        pids = owner?.pids ?? []
        process = owner?.process
        exe = owner?.exe
        commandLine = owner?.commandLine
        user = owner?.user
        unit = owner?.unit
        container = owner?.container
        package = listener.package.name
        scope = listener.socket.scope
        self.severity = severity
        self.reasons = reasons
    }

    private enum CodingKeys: String, CodingKey {
        case transport = "protocol"
        case address, port, pid, pids, process, exe, user, unit, container, package, scope, severity, reasons
        case commandLine = "command_line"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transport, forKey: .transport)
        try container.encode(address, forKey: .address)
        try container.encode(port, forKey: .port)
        try container.encode(pid, forKey: .pid)
        try container.encode(pids, forKey: .pids)
        try container.encode(process, forKey: .process)
        try container.encode(exe, forKey: .exe)
        try container.encode(commandLine, forKey: .commandLine)
        try container.encode(user, forKey: .user)
        try container.encode(unit, forKey: .unit)
        try container.encode(self.container, forKey: .container)
        try container.encode(package, forKey: .package)
        try container.encode(scope, forKey: .scope)
        try container.encode(severity, forKey: .severity)
        try container.encode(reasons, forKey: .reasons)
    }
}
