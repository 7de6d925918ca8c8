#if canImport(Glibc)
    import Glibc
#endif

/// Sends signals to processes; a protocol so dry runs and tests can record instead of kill.
protocol ProcessSignaller: Sendable {
    /// Sends `signal` to `pid`; returns 0 or the errno of the failure (ESRCH: no such process).
    func send(_ signal: Int32, to pid: Int32) -> Int32
}

/// `kill(2)`.
struct KernelSignaller: ProcessSignaller {
    func send(_ signal: Int32, to pid: Int32) -> Int32 {
        Glibc.kill(pid, signal) == 0 ? 0 : errno
    }
}
