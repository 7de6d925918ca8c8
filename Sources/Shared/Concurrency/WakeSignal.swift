/// Lets a background loop sleep until there is work (`signal()`) or a deadline passes, whichever comes first.
///
/// A signal sent while nobody waits is remembered, so work announced just before the loop goes to sleep is never
/// missed.
public actor WakeSignal {
    private var pending = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var nextID = 0

    public init() {}

    /// Wakes the waiter now, or the next one to wait.
    public func signal() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            pending = true
        }
    }

    /// Returns after a signal, after `delay`, or when the calling task is cancelled.
    public func wait(upTo delay: Duration) async {
        if pending {
            pending = false
            return
        }
        nextID += 1
        let id = nextID
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter = (id, continuation)
                Task {
                    try? await Task.sleep(for: delay)
                    self.expire(id)
                }
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}
