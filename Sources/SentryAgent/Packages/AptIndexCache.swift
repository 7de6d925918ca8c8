import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The security indexes and their candidates from the last full scan, kept while apt's configuration and lists are
/// unchanged: `apt-get indextargets` alone takes seconds (it loads apt's whole configuration and cache), while the
/// stamps that decide whether its answer can have changed take a few `stat` calls.
final class AptIndexCache: Sendable {
    struct Entry: Sendable {
        var stamp: [Int64]
        var indexes: [(index: SecurityIndex, modified: Int64)]
        var candidates: SecurityCandidates
    }

    private let entry = Mutex<Entry?>(nil)

    init() {}

    /// The cached indexes and candidates, if they were read under `stamp`.
    func lookup(_ stamp: [Int64]) -> Entry? {
        entry.withLock { cached in cached.flatMap { $0.stamp == stamp ? $0 : nil } }
    }

    func store(_ new: Entry) {
        entry.withLock { $0 = new }
    }

    /// Modification time, size and inode of everything `apt-get indextargets` and the index files depend on: the main
    /// configuration file and its parts directory, the sources list and its parts, and the lists directory with every
    /// file in it. `aptOptions` are the `-o Name=value` arguments (their paths override the defaults).
    static func stamp(aptOptions: [String]) -> [Int64] {
        var paths: [String: String] = [
            "dir::etc::main": "/etc/apt/apt.conf", "dir::etc::parts": "/etc/apt/apt.conf.d", "dir::etc::sourcelist": "/etc/apt/sources.list",
            "dir::etc::sourceparts": "/etc/apt/sources.list.d", "dir::state::lists": "/var/lib/apt/lists",
        ]
        var stamp: [Int64] = []
        for option in aptOptions {
            // The options themselves are part of the key: `-o APT::Architecture=…` changes the answer without a file.
            stamp += option.utf8.map { Int64($0) } + [-1]
            guard let equals = option.firstIndex(of: "=") else { continue }
            let name = option[..<equals].lowercased()
            if paths[name] != nil { paths[name] = String(option[option.index(after: equals)...]) }
        }
        for key in paths.keys.sorted() {
            let path = paths[key] ?? ""
            stamp += fileStamp(path)
            for name in (listDirectory(path) ?? []).sorted() { stamp += fileStamp(path + "/" + name) }
        }
        return stamp
    }

    private static func fileStamp(_ path: String) -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [0] }
        return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)]
    }
}
