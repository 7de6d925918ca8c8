#if canImport(Glibc)
    import Glibc
#endif

/// The processes holding each socket inode, found by walking `/proc/<pid>/fd` (the only place the kernel says who
/// holds a socket). The walk reads a link per descriptor of every process, so it runs only when an inode appears
/// that the cache does not know; a known inode keeps its owners until it leaves the socket table.
struct SocketOwners {
    /// A process holding a socket, with its start time so that a later kill cannot hit a reused pid.
    struct Holder: Sendable, Hashable {
        var pid: Int32
        var startTime: UInt64
    }

    let proc: ProcFileSystem
    private var cache: [UInt64: [Holder]] = [:]
    /// How many `/proc/<pid>/fd` walks this cache has made (tests and benchmarks check a steady poll makes none).
    private(set) var walks = 0

    init(proc: ProcFileSystem) {
        self.proc = proc
    }

    /// The holders of each of `inodes`, lowest pid first (empty when no readable process holds it: a socket of
    /// the kernel, or of a process this user may not inspect). Forgets inodes no longer asked for.
    mutating func holders(of inodes: Set<UInt64>) -> [UInt64: [Holder]] {
        cache = cache.filter { inodes.contains($0.key) }
        let unknown = inodes.subtracting(cache.keys)
        if !unknown.isEmpty {
            walks += 1
            let found = walk(for: unknown)
            for inode in unknown { cache[inode] = (found[inode] ?? []).sorted { $0.pid < $1.pid } }
        }
        return cache
    }

    /// One pass over every process's descriptors, collecting the holders of `wanted`.
    private func walk(for wanted: Set<UInt64>) -> [UInt64: [Holder]] {
        var found: [UInt64: [Holder]] = [:]
        let prefix = Array("socket:[".utf8)
        var link = [CChar](repeating: 0, count: 64)
        for pid in proc.processIDs() {
            let directory = proc.root + "/\(pid)/fd"
            guard let descriptors = listDirectory(directory) else { continue }
            var startTime: UInt64?
            for name in descriptors {
                let count = readlink(directory + "/" + name, &link, link.count - 1)
                guard count > prefix.count + 1 else { continue }
                let inode = link.withUnsafeBufferPointer { buffer -> UInt64? in
                    for index in 0..<prefix.count where UInt8(bitPattern: buffer[index]) != prefix[index] { return nil }
                    var value: UInt64 = 0
                    for index in prefix.count..<(count - 1) {
                        let digit = UInt8(bitPattern: buffer[index]) &- 0x30
                        guard digit < 10 else { return nil }
                        value = value &* 10 &+ UInt64(digit)
                    }
                    return value
                }
                guard let inode, wanted.contains(inode) else { continue }
                // Read once per process, and only for a holder: most processes hold none of the new sockets.
                if startTime == nil { startTime = proc.processTicks(pid: pid)?.startTime }
                guard let startTime else { break }
                if !(found[inode]?.contains { $0.pid == pid } ?? false) { found[inode, default: []].append(Holder(pid: pid, startTime: startTime)) }
            }
        }
        return found
    }
}
