/// The process that holds a listening socket, described for an alert and for the listener's identity.
struct ListenerOwner: Sendable, Equatable {
    var pid: Int32
    /// `/proc/<pid>/stat` field 22, so a kill can check it still is this process.
    var startTime: UInt64
    /// Every process holding the socket (a forking server's workers too), lowest pid first.
    var pids: [Int32]
    /// `comm`: the kernel's short name of the process.
    var process: String
    /// `/proc/<pid>/exe` as the kernel prints it, with ` (deleted)` when the file is gone; nil when not readable.
    var exe: String?
    /// The command line, NULs as spaces, escaped and truncated for a message.
    var commandLine: String
    var uid: UInt32?
    var user: String?
    /// The systemd unit (`nginx.service`, `session-4.scope`) from `/proc/<pid>/cgroup`.
    var unit: String?
    /// A container (`docker:0123456789ab`) from the same file, when the process runs in one.
    var container: String?

    static let deletedSuffix = " (deleted)"

    /// True when the executable file was removed (or replaced) after the process started.
    var isDeleted: Bool { exe?.hasSuffix(Self.deletedSuffix) ?? false }

    /// The executable's path without the ` (deleted)` mark.
    var exePath: String? {
        guard let exe else { return nil }
        return isDeleted ? String(exe.dropLast(Self.deletedSuffix.count)) : exe
    }
}

/// Reads a process's description from the proc filesystem.
struct ListenerOwnerReader: Sendable {
    let proc: ProcFileSystem
    let users: any UserNameResolver
    /// The longest command line kept, in characters.
    static let commandLineLimit = 256

    func owner(of holders: [SocketOwners.Holder]) -> ListenerOwner? {
        guard let first = holders.first, let stat = proc.processTicks(pid: first.pid), stat.startTime == first.startTime else { return nil }
        let pid = first.pid
        let uid = proc.realUID(pid: pid)
        let cgroup = proc.read("\(pid)/cgroup", limit: 65_536).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let placement = CgroupPlacement(cgroupFile: cgroup)
        return ListenerOwner(
            pid: pid, startTime: first.startTime, pids: holders.map(\.pid), process: stat.name, exe: readLink(proc.root + "/\(pid)/exe"),
            commandLine: Self.commandLine(proc.read("\(pid)/cmdline", limit: 65_536) ?? []), uid: uid, user: uid.map { users.name(of: $0) },
            unit: placement.unit, container: placement.container)
    }

    /// `owner` with its executable link read again: one `readlink` a poll, so a binary deleted after its socket was
    /// first seen (the shape of a dropper cleaning up) is reported `(deleted)` when the alert is raised.
    func refreshed(_ owner: ListenerOwner) -> ListenerOwner {
        var owner = owner
        if let exe = readLink(proc.root + "/\(owner.pid)/exe") { owner.exe = exe }
        return owner
    }

    /// `/proc/<pid>/cmdline` for a message: arguments joined by spaces, control and non-ASCII bytes as `\xNN` (a
    /// command line is attacker-chosen text), at most `commandLineLimit` characters with `…` when cut.
    static func commandLine(_ bytes: [UInt8]) -> String {
        var arguments = bytes
        while arguments.last == 0 { arguments.removeLast() }
        var text = ""
        for byte in arguments {
            switch byte {
            case 0: text += " "
            case 0x5C: text += "\\\\"
            case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789abcdef")
                text += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
            if text.count > commandLineLimit { return String(text.prefix(commandLineLimit)) + "…" }
        }
        return text
    }
}

/// Where `/proc/<pid>/cgroup` places a process: its systemd unit, or the container it runs in.
struct CgroupPlacement: Sendable, Equatable {
    var unit: String?
    var container: String?

    init(unit: String? = nil, container: String? = nil) {
        self.unit = unit
        self.container = container
    }

    /// Reads the unified (`0::/…`) line, then systemd's named hierarchy, then the first line, and keeps the first that
    /// places the process. On a hybrid or legacy host (systemd with the v1 hierarchy) the unified line exists but
    /// holds only `/`; the unit is in `name=systemd`.
    init(cgroupFile text: String) {
        let lines = text.split(separator: "\n")
        let candidates = [lines.first { $0.hasPrefix("0::") }, lines.first { $0.contains(":name=systemd:") }, lines.first]
        for line in candidates.compactMap({ $0 }) {
            let placement = Self(path: line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last ?? "")
            if placement.unit != nil || placement.container != nil {
                self = placement
                return
            }
        }
        self.init()
    }

    init(path: Substring) {
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            if let id = Self.containerID(component, parent: index > 0 ? components[index - 1] : nil) {
                container = id
                return
            }
        }
        unit = components.last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }.map(String.init)
    }

    /// `docker-<id>.scope`, `/docker/<id>`, `libpod-<id>.scope`, `cri-containerd-<id>.scope`, `lxc.payload.<name>`.
    private static func containerID(_ component: Substring, parent: Substring?) -> String? {
        for (prefix, runtime) in [("docker-", "docker"), ("libpod-", "podman"), ("cri-containerd-", "containerd"), ("crio-", "crio")]
        where component.hasPrefix(prefix) && component.hasSuffix(".scope") {
            let id = component.dropFirst(prefix.count).dropLast(".scope".count)
            if isHexID(id) { return runtime + ":" + String(id.prefix(12)) }
        }
        if parent == "docker" || parent == "libpod_parent", isHexID(component) { return "docker:" + String(component.prefix(12)) }
        if component.hasPrefix("lxc.payload.") { return "lxc:" + String(component.dropFirst("lxc.payload.".count)) }
        return nil
    }

    private static func isHexID(_ text: Substring) -> Bool {
        text.count >= 12 && text.utf8.allSatisfy { ($0 &- 0x30) < 10 || ($0 &- 0x61) < 6 }
    }
}
