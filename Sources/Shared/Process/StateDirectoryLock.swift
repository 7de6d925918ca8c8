import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on `<state_dir>/lock`, held for the life of the process, so two agents (or two hubs) never
/// share a state directory: they would interleave outbox records, log positions and the database unnoticed.
///
/// The holder's pid is written into the file, so the one refused can name it. The kernel drops the lock when the
/// process exits, however it exits, so a crash never leaves a stale lock behind.
public final class StateDirectoryLock: Sendable {
    /// Why the lock was not taken; the description is a complete log line.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let descriptor: Int32
    public let path: String

    /// Takes the lock without waiting; throws naming the holder's pid if another process has it.
    public init(stateDirectory: String, program: String) throws {
        let path = "\(stateDirectory)/lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readPID(descriptor)
            close(descriptor)
            guard reason == EWOULDBLOCK else { throw Failure(description: "cannot lock \(path): \(String(cString: strerror(reason)))") }
            let who = holder.map { "another \(program) (pid \($0))" } ?? "another \(program)"
            throw Failure(description: "\(who) is already running with the state directory \(stateDirectory) (\(path) is locked); stop it first")
        }
        let pid = Data("\(getpid())\n".utf8)
        let written = pid.withUnsafeBytes { ftruncate(descriptor, 0) == 0 ? pwrite(descriptor, $0.baseAddress, $0.count, 0) : -1 }
        guard written == pid.count else {
            close(descriptor)
            throw Failure(description: "cannot write the pid into \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingWhitespace())
    }
}
