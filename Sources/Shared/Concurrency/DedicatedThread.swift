#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work on a plain thread of its own and lets async code await its result.
///
/// Blocking in `poll()`, `read()` or `waitpid()` on one of Swift's cooperative threads (two on a two-core server) would
/// stall everything else the program does, so such work gets a pthread of its own.
public enum DedicatedThread {
    /// Runs `body` on a new detached thread; returns its result when it has returned.
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            let job = Job { continuation.resume(returning: body()) }
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { context in
                    guard let context else { return nil }
                    Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
                    return nil
                }, context)
            if status == 0 {
                pthread_detach(thread)
            } else {
                // No thread: run inline rather than not at all (only under exhausted resources).
                Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
            }
        }
    }

    private final class Job: Sendable {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }
}
