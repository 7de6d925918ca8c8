import Shared

/// How urgent a new listener is, and why: the rules of the `listeners` detector, pure so they are tested alone.
///
/// Critical is the shape of a bind shell or a dropped implant: reachable from outside, and run from a file no package
/// installed, from a world-writable or memory-only place, from a deleted file, or by a shell, an interpreter, `nc` or
/// `socat`. A packaged service newly reachable from outside is a warning (someone installed or reconfigured it),
/// and so is a well-known service without authentication by default on a public address. Loopback is information.
enum ListenerSeverity {
    /// Services that answer anyone by default: open to the world they are a breach waiting to happen.
    static let unauthenticatedServices: [UInt16: String] = [
        6379: "Redis", 11211: "Memcached", 27017: "MongoDB", 9200: "Elasticsearch", 2375: "Docker API",
    ]

    /// Directories any user may write to (or memory): no service is installed there.
    static let writableDirectories = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/"]

    /// Shells, interpreters and socket relays, by base name with any version suffix removed (`python3.11` → `python`).
    static let bindShellPrograms: Set<String> = [
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash", "busybox",
        "python", "perl", "ruby", "php", "node", "nodejs", "lua", "luajit", "tclsh", "wish", "pwsh", "awk", "gawk", "mawk",
        "nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat",
    ]

    /// The severity an alert for `listener` carries, with the reasons behind it (most telling first).
    static func assess(_ listener: Listener) -> (severity: Severity, reasons: [String]) {
        let socket = listener.socket
        let published = listener.published.map { "published on \($0.transport.rawValue)/\($0.externalPort) by a DNAT rule" }
        if published.isEmpty, let namespace = socket.namespace {
            // A container's socket is reachable from outside only through a published port; without one, the host
            // and its neighbours reach it, nobody else.
            return (.info, ["inside network namespace \(namespace.name), not published on the host"])
        }
        guard socket.scope.isExposed || !published.isEmpty else { return (.info, ["loopback only"]) }
        var critical: [String] = []
        if let owner = listener.owner, let exe = owner.exe {
            let path = owner.exePath ?? exe
            if path.hasPrefix("/memfd:") {
                critical.append("runs from memory (memfd), not from a file")
            } else if owner.isDeleted {
                critical.append("its executable was deleted after it started")
            }
            if let directory = writableDirectories.first(where: { path.hasPrefix($0) }) {
                critical.append("runs from \(directory.dropLast())")
            }
            if listener.package == .unowned, !path.hasPrefix("/memfd:") {
                critical.append("its executable belongs to no package")
            }
            if bindShellPrograms.contains(programName(path)) || bindShellPrograms.contains(programName(owner.process)) {
                critical.append("\(programName(path)) listening: the shape of a bind shell")
            }
        }
        let reach = published.first ?? (socket.scope == .any ? "reachable on every address" : "reachable on \(socket.address)")
        if !critical.isEmpty { return (.critical, critical + [reach]) }
        var reasons: [String] = []
        if let service = unauthenticatedServices[socket.port]
            ?? listener.published.lazy.compactMap({ unauthenticatedServices[$0.externalPort] }).first
        {
            reasons.append("\(service) port on a public address")
        }
        if listener.owner == nil { reasons.append("owner unknown") }
        return (.warning, reasons + [reach])
    }

    /// The base name of `path` without a version suffix: `/usr/bin/python3.11` → `python`, `nc.openbsd` stays.
    static func programName(_ path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        if bindShellPrograms.contains(base) { return base }
        var trimmed = Substring(base)
        while let last = trimmed.last, last.isNumber || last == "." { trimmed = trimmed.dropLast() }
        return trimmed.isEmpty ? base : String(trimmed)
    }
}
