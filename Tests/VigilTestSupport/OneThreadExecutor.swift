import Dispatch

/// A task executor with one thread of its own (a serial dispatch queue). Tasks that prefer it share that thread, so a
/// test can measure what blocking does to the executor it runs on, whatever the rest of the test process keeps the
/// global pool busy with.
public final class OneThreadExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "vigil.test.one-thread-executor")

    public init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
