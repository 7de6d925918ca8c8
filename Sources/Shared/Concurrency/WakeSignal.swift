/// Lets a background loop sleep until there is work (`signal()`) or a deadline passes, whichever comes first.
///
/// A signal sent while nobody waits is remembered, so work announced just before the loop goes to sleep is never
/// missed. Each wait's deadline timer is cancelled when the wait ends another way: a loop signalled every second
/// with an hour's deadline would otherwise keep 3,600 tasks asleep.
public actor WakeSignal {
    private var pending = false
    private var waiter: Waiter?
    private var nextID = 0
    /// Deadline timers that have not finished yet (at most one once every wait has ended: the tests check that none
    /// outlives its wait).
    public private(set) var runningTimers = 0

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, Never>
        let timer: Task<Void, Never>
    }

    public init() {}

    /// Wakes the waiter now, or the next one to wait.
    public func signal() {
        if let waiter {
            end(waiter)
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
                runningTimers += 1
                let timer = Task {
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        // Cancelled: the wait ended by a signal or a cancellation, and only the count is left to settle.
                    }
                    self.timerEnded(id)
                }
                waiter = Waiter(id: id, continuation: continuation, timer: timer)
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
    }

    private func timerEnded(_ id: Int) {
        runningTimers -= 1
        expire(id)
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        end(waiter)
    }

    private func end(_ waiter: Waiter) {
        self.waiter = nil
        waiter.timer.cancel()
        waiter.continuation.resume()
    }
}
