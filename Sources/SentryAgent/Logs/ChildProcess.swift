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
    private let spawned: SpawnedChild
    private var exitStatus: Int32?

    /// Starts `argv[0]` (an absolute path, or a name looked up on PATH) with `argv`. Standard input and error are
    /// `/dev/null`, so the child never blocks on a terminal or fills a pipe nobody reads.
    init(argv: [String]) throws(ChildProcessError) {
        // A journalctl inheriting the agent's ignored SIGTERM would never stop: the spawner starts it with clean signal state.
        let child: SpawnedChild
        do {
            child = try ProgramSpawner.spawn(argv, searchPath: true, standardOutput: .pipe)
        } catch {
            throw ChildProcessError(description: error.description)
        }
        pid = child.pid
        output = child.standardOutput ?? -1
        spawned = child
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
        return record(spawned.stop(grace: grace))
    }

    /// Waits for the child to exit and returns its exit code (or 128 + signal).
    @discardableResult
    func waitForExit() -> Int32 {
        if let exitStatus { return exitStatus }
        return record(spawned.waitForExit())
    }

    private func record(_ exit: ChildExit) -> Int32 {
        exitStatus = exit.code
        return exit.code
    }
}

/// Why a child process could not be started.
struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
}
