import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Files and directories that hold keys or state: private from their first byte, not made private afterwards.
///
/// Foundation's `createFile(atPath:contents:attributes:)` writes the file with the umask's mode (0644) and changes it
/// only once the contents are in, so for a moment anyone on the host could read the keys. Here the mode is given to
/// `open` itself, with `O_EXCL`, so there is no moment at which the file exists with a looser mode, and a leftover
/// temporary file (perhaps created 0644 by an older version) is never reused.
public enum PrivateFile {
    /// Owner read and write only.
    public static let fileMode: mode_t = 0o600
    /// Owner only.
    public static let directoryMode: mode_t = 0o700

    /// Makes every file and directory this process creates private by default (umask 077). Both programs call it
    /// first thing, so a file created by code that forgot to pass a mode is private too.
    public static func restrictProcessUmask() {
        umask(0o077)
    }

    /// Creates `path` new with mode 0600 and opens it for writing. A file already at `path` is unlinked first: it
    /// is a leftover of an interrupted write, and its mode or owner must not carry over.
    public static func createExclusive(_ path: String) throws(PrivateFileError) -> Int32 {
        if unlink(path) != 0, errno != ENOENT { throw PrivateFileError("cannot remove the leftover \(path)", errno: errno) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard descriptor >= 0 else { throw PrivateFileError("cannot create \(path)", errno: errno) }
        return descriptor
    }

    /// Writes every byte, retrying short writes and interruptions.
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(PrivateFileError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw PrivateFileError("cannot write \(path)", errno: errno)
            }
            offset += written
        }
    }

    /// Replaces `path` with `bytes` atomically and durably: a private temporary file beside it, fsync, rename, fsync
    /// of the directory. Readers see the old contents or the new, never a mix, and never a readable-by-all moment.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(PrivateFileError) {
        let temporary = path + ".tmp"
        let descriptor = try createExclusive(temporary)
        defer { close(descriptor) }
        try giveToDirectoryOwner(descriptor, path: temporary)
        try writeAll(bytes, to: descriptor, path: temporary)
        guard fsync(descriptor) == 0 else { throw PrivateFileError("cannot fsync \(temporary)", errno: errno) }
        guard rename(temporary, path) == 0 else { throw PrivateFileError("cannot replace \(path)", errno: errno) }
        // The rename is only durable once the directory entry is; a failure here cannot undo it, so it is not an error.
        _ = try? syncDirectory(containing: path)
    }

    /// Fsyncs the directory holding `path`: a file just created or renamed there is only durable once its entry is.
    public static func syncDirectory(containing path: String) throws(PrivateFileError) {
        let parent = FileSystemPath.directory(of: path)
        let directory = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw PrivateFileError("cannot open \(parent)", errno: errno) }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw PrivateFileError("cannot fsync \(parent)", errno: errno) }
    }

    /// A file root writes into a state directory belongs to the directory's owner: `bothub agent add` run as root
    /// must leave `agents.yml` readable by the hub running as `vigil`. Done before any byte is written.
    private static func giveToDirectoryOwner(_ descriptor: Int32, path: String) throws(PrivateFileError) {
        guard geteuid() == 0 else { return }
        let parent = FileSystemPath.directory(of: path)
        var directory = stat()
        guard stat(parent.isEmpty ? "." : parent, &directory) == 0 else { throw PrivateFileError("cannot read the owner of \(parent)", errno: errno) }
        guard directory.st_uid != 0 || directory.st_gid != 0 else { return }
        guard fchown(descriptor, directory.st_uid, directory.st_gid) == 0 else {
            throw PrivateFileError("cannot give \(path) to the owner of \(parent)", errno: errno)
        }
    }

    /// Creates `path` (and missing parents) and makes the directory itself mode 0700, tightening one that exists
    /// with a looser mode (a state directory from an older version, or made by hand with `mkdir`).
    public static func makeDirectory(_ path: String) throws(PrivateFileError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        } catch {
            throw PrivateFileError("cannot create the directory \(path): \(FileErrorText.reason(error))")
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw PrivateFileError("cannot read the mode of \(path)", errno: errno) }
        if status.st_mode & 0o7777 != directoryMode, chmod(path, directoryMode) != 0 {
            throw PrivateFileError("cannot make \(path) private (chmod 700)", errno: errno)
        }
    }

    /// The permission bits of `path` (`0o644`), or nil when it cannot be read.
    public static func mode(of path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }
}

/// A private file or directory could not be written; the message names the path and the system's reason.
public struct PrivateFileError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    init(_ what: String, errno code: Int32) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}
