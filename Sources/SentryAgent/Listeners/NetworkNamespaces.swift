#if canImport(Glibc)
    import Glibc
#endif

/// The network namespaces of running processes other than the agent's own (containers, `ip netns`), each with one
/// process inside it, so its socket table can be read once through `/proc/<pid>/net/*`.
///
/// Finding them reads one link per process (`/proc/<pid>/ns/net`), so the list is refreshed every `refreshEvery`
/// polls, not at each: a new container's listeners are seen within that many seconds plus the debounce.
struct NetworkNamespaces {
    /// One foreign namespace: its inode (`net:[N]`) and a process in it.
    struct Namespace: Sendable, Hashable {
        var inode: UInt64
        var pid: Int32

        /// `net:[4026532297]`, as `/proc/<pid>/ns/net` names it.
        var name: String { "net:[\(inode)]" }
    }

    let proc: ProcFileSystem
    var refreshEvery = 5
    private var known: [Namespace] = []
    private var pollsSinceRefresh = Int.max

    init(proc: ProcFileSystem, refreshEvery: Int = 5) {
        self.proc = proc
        self.refreshEvery = refreshEvery
    }

    /// The foreign namespaces, refreshed when due.
    mutating func current() -> [Namespace] {
        if pollsSinceRefresh >= refreshEvery {
            known = Self.find(proc: proc)
            pollsSinceRefresh = 0
        }
        pollsSinceRefresh += 1
        return known
    }

    /// Forces a refresh at the next poll (a namespace's process is gone).
    mutating func invalidate() {
        pollsSinceRefresh = Int.max
    }

    /// One pass over `/proc`: the lowest pid of each network namespace other than the reader's own.
    static func find(proc: ProcFileSystem) -> [Namespace] {
        guard let own = inode(ofLink: proc.root + "/self/ns/net") else { return [] }
        var seen: [UInt64: Int32] = [:]
        for pid in proc.processIDs() {
            guard let inode = inode(ofLink: proc.root + "/\(pid)/ns/net"), inode != own else { continue }
            if let known = seen[inode], known <= pid { continue }
            seen[inode] = pid
        }
        return seen.map { Namespace(inode: $0.key, pid: $0.value) }.sorted { $0.inode < $1.inode }
    }

    /// The N of a `net:[N]` link.
    static func inode(ofLink path: String) -> UInt64? {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 6 else { return nil }
        let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("net:["), text.hasSuffix("]") else { return nil }
        return UInt64(text.dropFirst(5).dropLast())
    }
}
