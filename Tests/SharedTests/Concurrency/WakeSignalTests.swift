import Shared
import Testing
import VigilTestSupport

/// A background loop's sleep: it ends at a signal, at its deadline, or at cancellation, and a signal sent while
/// nobody waits is kept for the next wait. Waits that must end early are given an hour: one that missed its signal
/// trips the suite's time limit instead of a wall-clock bound, which a loaded machine running the pure tests in
/// parallel can exceed without anything being wrong.
@Suite("Wake signal", .timeLimit(.minutes(1)))
struct WakeSignalTests {
    static let forever = Duration.seconds(3600)

    /// How long `body` took.
    static func elapsed(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        await body()
        return clock.now - start
    }

    @Test("a signal sent before the wait is remembered: the wait returns without its deadline")
    func signalBeforeWait() async {
        let wake = WakeSignal()
        await wake.signal()
        await wake.wait(upTo: Self.forever)
    }

    @Test("a signal wakes a task that is already waiting")
    func signalWakesWaiter() async {
        let wake = WakeSignal()
        let waiter = Task { await wake.wait(upTo: Self.forever) }
        // Whether the signal lands before or during the wait, the waiter returns long before its deadline.
        await wake.signal()
        await waiter.value
    }

    @Test("with no signal the wait ends at its deadline, not before")
    func deadline() async {
        let wake = WakeSignal()
        let took = await Self.elapsed { await wake.wait(upTo: .milliseconds(200)) }
        #expect(took >= .milliseconds(200))
    }

    @Test("one signal ends one wait: the next wait runs to its deadline")
    func signalIsConsumed() async {
        let wake = WakeSignal()
        await wake.signal()
        await wake.signal()  // two signals before a wait still count as one pending wake-up
        await wake.wait(upTo: Self.forever)
        let took = await Self.elapsed { await wake.wait(upTo: .milliseconds(200)) }
        #expect(took >= .milliseconds(200))
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellation() async {
        let wake = WakeSignal()
        let waiter = Task { await wake.wait(upTo: Self.forever) }
        waiter.cancel()
        await waiter.value
    }

    @Test("a wait ended by a signal leaves no timer asleep until its deadline")
    func signalledWaitLeavesNoTimer() async throws {
        let wake = WakeSignal()
        // Given a hundred waits that a signal ends long before their hour-long deadlines
        for _ in 0..<100 {
            let waiter = Task { await wake.wait(upTo: Self.forever) }
            try await waitUntil("the waiter sleeps") { await wake.runningTimers > 0 }
            await wake.signal()
            await waiter.value
        }
        // Then every deadline timer has ended with its wait (before, each one slept on for the hour)
        try await waitUntil("no timer outlives its wait") { await wake.runningTimers == 0 }
    }

    @Test("a cancelled wait leaves no timer asleep either")
    func cancelledWaitLeavesNoTimer() async throws {
        let wake = WakeSignal()
        let waiter = Task { await wake.wait(upTo: Self.forever) }
        try await waitUntil("the waiter sleeps") { await wake.runningTimers > 0 }
        waiter.cancel()
        await waiter.value
        try await waitUntil("no timer outlives its wait") { await wake.runningTimers == 0 }
    }
}
