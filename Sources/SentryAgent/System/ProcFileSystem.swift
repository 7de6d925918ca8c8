#if canImport(Glibc)
    import Glibc
#endif

/// Reads the proc filesystem under an injected root (`/proc`, or a fixture tree in tests).
struct ProcFileSystem: Sendable {
    let root: String

    init(root: String = "/proc") {
        self.root = root
    }

    /// The whole content of `root/relative` (proc files report size 0, so read until EOF), or nil.
    func read(_ relative: String, limit: Int = 1 << 20) -> [UInt8]? {
        let descriptor = open(root + "/" + relative, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// The numeric entries of the root: the live process ids.
    func processIDs() -> [Int32] {
        (listDirectory(root) ?? []).compactMap { name in
            guard let first = name.utf8.first, first &- 0x30 < 10 else { return nil }
            return Int32(name)
        }
    }

    /// `/proc/<pid>/stat` parsed, or nil if the process is gone.
    func processTicks(pid: Int32) -> ProcStat.ProcessTicks? {
        read("\(pid)/stat", limit: 4096).flatMap { bytes in bytes.withUnsafeBufferPointer { ProcStat.processTicks($0) } }
    }

    /// The real uid of a process, or nil if it is gone.
    func realUID(pid: Int32) -> UInt32? {
        read("\(pid)/status", limit: 16_384).flatMap { bytes in bytes.withUnsafeBufferPointer { ProcStat.realUID(status: $0) } }
    }

    /// The machine-wide CPU ticks.
    func cpuTicks() -> ProcStat.CPUTicks? {
        read("stat", limit: 1 << 20).flatMap { bytes in bytes.withUnsafeBufferPointer { ProcStat.cpuTicks($0) } }
    }
}

/// Names for user ids: `getpwuid_r` on the host, a dictionary in tests.
protocol UserNameResolver: Sendable {
    func name(of uid: UInt32) -> String
}

/// The host's user database.
struct SystemUserNames: UserNameResolver {
    func name(of uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil, let name = entry.pw_name else { return String(uid) }
        return String(cString: name)
    }
}

/// Fixed names for tests; unknown ids print as numbers.
struct FixedUserNames: UserNameResolver {
    var names: [UInt32: String]

    func name(of uid: UInt32) -> String { names[uid] ?? String(uid) }
}
