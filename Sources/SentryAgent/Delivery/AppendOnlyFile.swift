import Foundation

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
        try Self.writeAll(bytes, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw OutboxError("cannot fsync \(path): errno \(errno)") }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(descriptor, base + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw OutboxError("cannot write \(path): errno \(errno)")
                }
                written += result
            }
        }
    }

    /// Reads a whole file, or nothing if it does not exist.
    static func readAll(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map(Array.init) ?? []
    }

    /// Replaces `path` with `bytes` atomically and durably (temp file, fsync, rename, fsync of the directory).
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp"
        let file = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw OutboxError("cannot create \(temporary)") }
        defer { Glibc.close(file) }
        try writeAll(bytes, to: file, path: temporary)
        guard fsync(file) == 0, rename(temporary, path) == 0 else { throw OutboxError("cannot replace \(path)") }
        let directory = Glibc.open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            Glibc.close(directory)
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
