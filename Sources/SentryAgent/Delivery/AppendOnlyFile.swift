import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A file opened for appending whose writes are made durable with `fsync` before `append` returns.
final class AppendOnlyFile {
    private let descriptor: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw OutboxError("cannot open \(path): errno \(errno)") }
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Appends and fsyncs: when this returns, the bytes survive a crash or power loss.
    func append(_ bytes: [UInt8]) throws {
        do {
            try PrivateFile.writeAll(bytes, to: descriptor, path: path)
        } catch {
            throw OutboxError(error.description)
        }
        guard fsync(descriptor) == 0 else { throw OutboxError("cannot fsync \(path): errno \(errno)") }
    }

    /// Reads a whole file, or nothing if it does not exist.
    static func readAll(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map(Array.init) ?? []
    }

    /// Replaces `path` with `bytes` atomically and durably (temp file, fsync, rename, fsync of the directory).
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        do {
            try PrivateFile.replace(path, with: bytes)
        } catch {
            throw OutboxError(error.description)
        }
    }
}

/// Outbox I/O failures, fit for a log line.
struct OutboxError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
