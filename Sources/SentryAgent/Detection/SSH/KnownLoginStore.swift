import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Remembers which (user, address) pairs have logged in, in `<state_dir>/known-logins.tsv` (`user<TAB>address` per
/// line), so "an address never seen before for that user" survives restarts.
///
/// New pairs are appended after each batch; when the file holds twice the capacity it is rewritten with the pairs
/// still remembered (the oldest are forgotten first).
final class KnownLoginStore {
    let path: String
    let capacity: Int
    private var linesInFile = 0

    init(path: String, capacity: Int) {
        self.path = path
        self.capacity = capacity
    }

    /// The remembered pairs (empty if the file is absent or unreadable).
    func load() -> KnownLogins {
        var logins: [KnownLogins.Login] = []
        if let bytes = ProcFileSystem(root: FileSystemPath.directory(of: path)).read(FileSystemPath.lastComponent(of: path), limit: 64 << 20) {
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else { continue }
                let user = String(decoding: line[line.startIndex..<tab], as: UTF8.self)
                let address = String(decoding: line[(tab + 1)...], as: UTF8.self)
                if let ip = IPAddress(address) { logins.append(KnownLogins.Login(user: user, ip: IPKey(ip))) }
            }
        }
        linesInFile = logins.count
        return KnownLogins(capacity: capacity, logins: logins)
    }

    /// Appends `learned`; rewrites the file from `all` when it has grown past twice the capacity.
    func append(_ learned: [KnownLogins.Login], all: KnownLogins) {
        guard !learned.isEmpty else { return }
        if linesInFile + learned.count > 2 * capacity {
            write(all.all, flags: O_TRUNC)
            linesInFile = all.count
        } else {
            write(learned, flags: O_APPEND)
            linesInFile += learned.count
        }
    }

    private func write(_ logins: [KnownLogins.Login], flags: Int32) {
        // A tab or newline in a user name would corrupt the file; sshd only accepts existing users, but be strict.
        let text = logins.filter { !$0.user.contains("\t") && !$0.user.contains("\n") }.map { "\($0.user)\t\($0.ip)\n" }.joined()
        // Best effort by design: a pair that fails to be remembered is only reported as new once more after a restart.
        if flags == O_TRUNC {
            _ = try? PrivateFile.replace(path, with: Array(text.utf8))
            return
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = try? PrivateFile.writeAll(Array(text.utf8), to: descriptor, path: path)
    }
}
