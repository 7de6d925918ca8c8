import Foundation

/// Runs `operation` where the caller's cancellation cannot reach it: a cancelled caller gets `CancellationError` at
/// once, and the operation finishes on its own in the background with its result dropped.
///
/// Why: on Linux, cancelling a task that is awaiting `URLSession.data(for:)` while the response is completing
/// deadlocks (the cancel handler waits on the session's queue while that queue waits on the task's status lock). The
/// hub hung on graceful shutdown this way; the long poll it abandons costs nothing (its updates are delivered again).
func withCancellationShield<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            once.install(continuation)
            if Task.isCancelled {
                once.resume(with: .failure(CancellationError()))
                return
            }
            Task {
                do {
                    once.resume(with: .success(try await operation()))
                } catch {
                    once.resume(with: .failure(error))
                }
            }
        }
    } onCancel: {
        once.resume(with: .failure(CancellationError()))
    }
}

/// A continuation resumed at most once, by whichever of the operation and the cancellation comes first.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    // `continuation` and `resumed` are only touched under `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var pending: Result<T, any Error>?
    private var resumed = false

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = lock.withLock {
            self.continuation = continuation
            return pending
        }
        if let early { resume(with: early) }
    }

    func resume(with result: Result<T, any Error>) {
        let target: CheckedContinuation<T, any Error>? = lock.withLock {
            guard !resumed else { return nil }
            guard let continuation else {
                // Cancelled before the continuation existed: remember, `install` resumes.
                if pending == nil { pending = result }
                return nil
            }
            resumed = true
            self.continuation = nil
            return continuation
        }
        target?.resume(with: result)
    }
}
