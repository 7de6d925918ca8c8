import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A program started with an argument vector (never a shell) whose standard output is read through a pipe.
///
/// Used for `journalctl -f` and `gzip -dc`; its descriptors are plain blocking reads on the caller's own thread.
final class ChildProcess {
    let pid: pid_t
    /// The read end of the child's standard output.
    let output: Int32
    private var exitStatus: Int32?

    /// Starts `argv[0]` (an absolute path, or a name looked up on PATH) with `argv`. Standard input and error are
    /// `/dev/null`, so the child never blocks on a terminal or fills a pipe nobody reads.
    init(argv: [String]) throws(ChildProcessError) {
        guard let program = argv.first else { throw ChildProcessError(description: "empty argument vector") }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw ChildProcessError(description: "pipe failed: errno \(errno)") }
        // Not inherited by other children spawned concurrently; dup2 in the child clears the flag on its stdout.
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        // A journalctl inheriting the agent's ignored SIGTERM would never stop: start it with clean signal state.
        var child: pid_t = 0
        let status = withCleanSignalSpawnAttributes { attributes in
            posix_spawnp(&child, program, &actions, &attributes, &arguments, environ)
        }
        close(pipeEnds[1])
        guard status == 0 else {
            close(pipeEnds[0])
            throw ChildProcessError(description: "cannot start \(program): \(String(cString: strerror(status)))")
        }
        pid = child
        output = pipeEnds[0]
    }

    deinit {
        terminate()
        close(output)
    }

    /// Sends SIGTERM (if still running), then SIGKILL if it has not exited within `grace`, and reaps the child.
    /// Returns its exit code.
    @discardableResult
    func terminate(grace: Duration = .seconds(2)) -> Int32 {
        if let exitStatus { return exitStatus }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return record(status) }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        return waitForExit()
    }

    /// Waits for the child to exit and returns its exit code (or 128 + signal).
    @discardableResult
    func waitForExit() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return record(status)
    }

    private func record(_ status: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros Swift does not import.
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        exitStatus = code
        return code
    }
}

/// Why a child process could not be started.
struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
}
