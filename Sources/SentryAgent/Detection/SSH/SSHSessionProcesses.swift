#if canImport(Glibc)
    import Glibc
#endif

/// Finds the process serving an SSH session in the proc filesystem, and its start time, so a later kill can check
/// it still is that process (a pid alone may have been reused by then).
struct SSHSessionProcesses: Sendable {
    let proc: ProcFileSystem

    /// The names OpenSSH's per-connection processes run under.
    static let serverNames: Set<String> = ["sshd", "sshd-session", "sshd-auth"]

    /// The start time (field 22) of `pid` if it is an OpenSSH server process, else nil.
    func startTime(ofServer pid: Int32) -> UInt64? {
        guard pid > 0, let process = proc.processTicks(pid: pid), Self.serverNames.contains(process.name) else { return nil }
        return process.startTime
    }

    /// The session process for the connection from `ip`:`port`, for log lines without a pid (sshd's `-E` file): the
    /// OpenSSH process holding that TCP socket whose parent does not hold it too (the privileged monitor,
    /// `sshd: user [priv]`, whose end ends the session).
    func sessionProcess(clientIP ip: IPKey, clientPort port: Int) -> (pid: Int32, startTime: UInt64)? {
        guard let inode = socketInode(remoteIP: ip, remotePort: port) else { return nil }
        let target = "socket:[\(inode)]"
        var holders: [Int32: ProcStat.ProcessTicks] = [:]
        for pid in proc.processIDs() {
            guard let process = proc.processTicks(pid: pid), Self.serverNames.contains(process.name) else { continue }
            let descriptors = listDirectory(proc.root + "/\(pid)/fd") ?? []
            if descriptors.contains(where: { readLink(proc.root + "/\(pid)/fd/" + $0) == target }) { holders[pid] = process }
        }
        guard let (pid, process) = holders.filter({ holders[$0.value.parentPID] == nil }).min(by: { $0.key < $1.key }) else { return nil }
        return (pid, process.startTime)
    }

    /// The inode of the established TCP socket whose remote end is `ip`:`port`, from `net/tcp` and `net/tcp6`.
    func socketInode(remoteIP ip: IPKey, remotePort port: Int) -> UInt64? {
        for table in ["net/tcp", "net/tcp6"] {
            guard let bytes = proc.read(table, limit: 64 << 20) else { continue }
            let found = bytes.withUnsafeBufferPointer { Self.inode(in: $0, remoteIP: ip, remotePort: port) }
            if let found { return found }
        }
        return nil
    }

    /// Scans a `/proc/net/tcp{,6}` table: `sl local_address rem_address st … inode`, addresses as hex words in host
    /// byte order (little-endian here), ports in hex.
    static func inode(in bytes: UnsafeBufferPointer<UInt8>, remoteIP ip: IPKey, remotePort port: Int) -> UInt64? {
        for columns in ProcNetTable.rows(in: bytes) {
            // columns: 0 sl, 1 local, 2 remote, 3 state, …, 9 inode. State 01 is ESTABLISHED.
            guard columns.count == 10, bytes.string(columns[3]) == "01" else { continue }
            let remote = bytes.string(columns[2])
            guard let colon = remote.firstIndex(of: ":"), Int(remote[remote.index(after: colon)...], radix: 16) == port,
                address(hex: remote[..<colon]) == ip
            else { continue }
            return UInt64(bytes.string(columns[9]))
        }
        return nil
    }

    /// An address as the kernel prints it, as a table key.
    static func address(hex: Substring) -> IPKey? {
        ProcNetTable.address(hex: hex).map(IPKey.init)
    }
}

/// The target of a symbolic link, or nil.
func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
