import Crypto
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// What `lstat` says about a watched file: enough to skip hashing a file that did not change.
struct FileStamp: Codable, Sendable, Equatable {
    var inode: UInt64
    var size: Int64
    /// Modification and status-change times, in nanoseconds.
    var modified: Int64
    var changed: Int64
    var mode: UInt32
    var owner: UInt32
    var group: UInt32

    /// The permission bits (`0o644`).
    var permissions: UInt32 { mode & 0o7777 }

    /// The stamp of `path` (not following a final symlink); nil when it does not exist or is a directory.
    static func of(_ path: String) -> FileStamp? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        return FileStamp(
            inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec), mode: UInt32(info.st_mode),
            owner: UInt32(info.st_uid), group: UInt32(info.st_gid))
    }

    var isSymbolicLink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
}

/// A watched file's state: its stamp, the SHA-256 of its content, and the content itself when it is small enough to
/// keep (a symlink's content is `-> target`, so pointing a unit link elsewhere is a change like any other).
struct FileSnapshot: Sendable, Equatable {
    var stamp: FileStamp
    /// Lowercase hex.
    var sha256: String
    var content: [UInt8]?

    /// Reads `path`; nil when it does not exist, is a directory, or cannot be read.
    static func read(_ path: String, keepLimit: Int = IdentityCategory.copyLimit) -> FileSnapshot? {
        guard let stamp = FileStamp.of(path) else { return nil }
        if stamp.isSymbolicLink {
            let target = Array(("-> " + (readLink(path) ?? "?")).utf8)
            return FileSnapshot(stamp: stamp, sha256: Self.hex(SHA256.hash(data: target)), content: target)
        }
        // O_NONBLOCK: a FIFO planted under a watched name must not hang the watcher.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var hasher = SHA256()
        var kept: [UInt8] = []
        var keeping = true
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            guard keeping else { continue }
            if kept.count + count <= keepLimit {
                kept.append(contentsOf: buffer[0..<count])
            } else {
                keeping = false
                kept = []
            }
        }
        // The stamp of the bytes read (a write between lstat and read moves the times; the next event re-reads).
        let read = FileStamp.of(path) ?? stamp
        return FileSnapshot(stamp: read, sha256: Self.hex(hasher.finalize()), content: keeping ? kept : nil)
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}
