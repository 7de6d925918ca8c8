#if canImport(Glibc)
    import Glibc
#endif

/// Runs a blocking follower on a dedicated thread and lets async code await its end.
///
/// Followers block in `poll()` and `read()`; on one of Swift's cooperative threads (two on a two-core server) that
/// would stall the agent's HTTP endpoint, so each follower gets a plain pthread of its own.
enum FollowerThread {
    /// Runs `body` on a new detached thread; returns when it has returned. `name` is for logs.
    static func run(name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let job = Job {
                body()
                continuation.resume()
            }
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { context in
                    guard let context else { return nil }
                    let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
                    job.body()
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
