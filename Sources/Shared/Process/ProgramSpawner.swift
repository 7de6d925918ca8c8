#if canImport(Glibc)
    import Glibc
#endif

/// Starts programs with `posix_spawn`: the one place Vigil creates a child process.
///
/// An argument vector, never a shell; the child starts with default signal dispositions and an empty mask (see
/// `withCleanSignalSpawnAttributes`), so a program started by a service that ignores SIGTERM still stops on it; every
/// descriptor the parent opens for it is close-on-exec, so a child started concurrently never inherits another's pipe.
public enum ProgramSpawner {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable, Equatable {
        /// `/dev/null`.
        case null
        /// A pipe whose other end the parent gets in `SpawnedChild`.
        case pipe
        /// The parent's own stream.
        case inherit
        /// A file opened for appending (created 0600 if missing): output of a run that may outlive the parent.
        case appendingFile(String)
    }

    /// Starts `argv[0]` with `argv`. `argv[0]` is an absolute path, or with `searchPath` a name looked up on PATH.
    /// `environment` nil passes the parent's environment on.
    public static func spawn(
        _ argv: [String], environment: [String: String]? = nil, searchPath: Bool = false, standardInput: Stream = .null,
        standardOutput: Stream = .null, standardError: Stream = .null
    ) throws(SpawnError) -> SpawnedChild {
        guard let program = argv.first else { throw SpawnError(program: "", reason: "empty argument vector") }
        var pipes: [(parent: Int32, child: Int32)?] = []
        func closeAll() {
            for case let ends? in pipes {
                close(ends.parent)
                close(ends.child)
            }
        }
        for (target, stream) in [(Int32(0), standardInput), (1, standardOutput), (2, standardError)] {
            guard stream == .pipe else {
                pipes.append(nil)
                continue
            }
            var ends: [Int32] = [-1, -1]
            guard makePipe(&ends) == 0 else {
                let error = errno
                closeAll()
                throw SpawnError(program: program, reason: "cannot create a pipe: \(String(cString: strerror(error)))")
            }
            // Standard input: the child reads ends[0]; output streams: the child writes ends[1].
            pipes.append(target == 0 ? (parent: ends[1], child: ends[0]) : (parent: ends[0], child: ends[1]))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), standardInput), (1, standardOutput), (2, standardError)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            // dup2 clears close-on-exec on the target only; the pipe's own descriptors close at exec.
            case .pipe: posix_spawn_file_actions_adddup2(&actions, pipes[Int(target)]?.child ?? -1, target)
            case .inherit: break
            case .appendingFile(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
            }
        }
        var arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var variables: [UnsafeMutablePointer<CChar>?] =
            (environment ?? [:]).sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { variables.forEach { free($0) } }
        var pid: pid_t = 0
        let status = withCleanSignalSpawnAttributes { attributes in
            variables.withUnsafeMutableBufferPointer { ownVariables in
                let environmentVector = environment == nil ? UnsafePointer(environ) : UnsafePointer(ownVariables.baseAddress)
                return searchPath
                    ? posix_spawnp(&pid, program, &actions, &attributes, &arguments, environmentVector)
                    : posix_spawn(&pid, program, &actions, &attributes, &arguments, environmentVector)
            }
        }
        for case let ends? in pipes { close(ends.child) }
        guard status == 0 else {
            for case let ends? in pipes { close(ends.parent) }
            throw SpawnError(program: program, reason: String(cString: strerror(status)))
        }
        return SpawnedChild(pid: pid, standardInput: pipes[0]?.parent, standardOutput: pipes[1]?.parent, standardError: pipes[2]?.parent)
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32

    /// glibc's `pipe2`, which Swift's Glibc module hides (it is declared for `_GNU_SOURCE` only).
    private static let pipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// A pipe whose both ends are close-on-exec from the start: with `pipe` then `fcntl`, a child spawned by another
    /// thread in between would inherit the ends and hold the pipe open.
    public static func makePipe(_ ends: inout [Int32], flags: Int32 = 0) -> Int32 {
        if let pipe2 { return ends.withUnsafeMutableBufferPointer { pipe2($0.baseAddress, O_CLOEXEC | flags) } }
        guard pipe(&ends) == 0 else { return -1 }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            if flags != 0 { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | flags) }
        }
        return 0
    }
}

/// A started child: its pid and the parent's ends of the streams that were piped. The caller owns (and closes) them.
public struct SpawnedChild: Sendable {
    public let pid: pid_t
    /// The write end of the child's standard input, if piped.
    public let standardInput: Int32?
    /// The read end of the child's standard output, if piped.
    public let standardOutput: Int32?
    /// The read end of the child's standard error, if piped.
    public let standardError: Int32?

    /// Waits for the child to end (retrying on EINTR) and reaps it.
    public func waitForExit() -> ChildExit {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .exited(-1) }
        }
        return ChildExit(waitStatus: status)
    }

    /// Sends SIGTERM, then SIGKILL if the child has not ended within `grace`, and reaps it.
    ///
    /// The pid cannot have been reused meanwhile: only this child's own reaping frees it.
    public func stop(grace: Duration) -> ChildExit {
        if let exit = exitIfEnded() { return exit }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let exit = exitIfEnded() { return exit }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        return waitForExit()
    }

    /// Reaps the child if it has ended; nil while it runs.
    public func exitIfEnded() -> ChildExit? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? ChildExit(waitStatus: status) : nil
    }
}

/// How a child ended.
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signalled(Int32)

    /// Decodes a `waitpid` status (`WIFEXITED`, `WEXITSTATUS` and `WTERMSIG` are C macros Swift does not import).
    public init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// The shell's convention: the exit status, or 128 + the signal.
    public var code: Int32 {
        switch self {
        case .exited(let status): status
        case .signalled(let signal): 128 + signal
        }
    }
}

/// Why a program could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    /// The program that did not start (`argv[0]`), empty for an empty argument vector.
    public let program: String
    /// Why, as the C library says it (`No such file or directory`).
    public let reason: String

    public var description: String { program.isEmpty ? reason : "cannot start \(program): \(reason)" }
}
