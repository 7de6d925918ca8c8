import Shared
import Testing

/// A background loop's sleep: it ends at a signal, at its deadline, or at cancellation, and a signal sent while
/// nobody waits is kept for the next wait. The waits under test are long (a minute), so a wait that missed its
/// signal shows as a test that takes a minute and fails its time check, not as a hang.
@Suite("Wake signal")
struct WakeSignalTests {
    /// How long `body` took.
    static func elapsed(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        await body()
        return clock.now - start
    }

    @Test("a signal sent before the wait is remembered: the wait returns at once")
    func signalBeforeWait() async {
        let wake = WakeSignal()
        await wake.signal()
        let took = await Self.elapsed { await wake.wait(upTo: .seconds(60)) }
        #expect(took < .seconds(10))
    }

    @Test("a signal wakes a task that is already waiting")
    func signalWakesWaiter() async {
        let wake = WakeSignal()
        let waiter = Task { await Self.elapsed { await wake.wait(upTo: .seconds(60)) } }
        // Whether the signal lands before or during the wait, the waiter must return long before its deadline.
        await wake.signal()
        #expect(await waiter.value < .seconds(10))
    }

    @Test("with no signal the wait ends at its deadline, not before")
    func deadline() async {
        let wake = WakeSignal()
        let took = await Self.elapsed { await wake.wait(upTo: .milliseconds(200)) }
        #expect(took >= .milliseconds(200))
        #expect(took < .seconds(10))
    }

    @Test("one signal ends one wait: the next wait runs to its deadline")
    func signalIsConsumed() async {
        let wake = WakeSignal()
        await wake.signal()
        await wake.signal()  // two signals before a wait still count as one pending wake-up
        await wake.wait(upTo: .seconds(60))
        let took = await Self.elapsed { await wake.wait(upTo: .milliseconds(200)) }
        #expect(took >= .milliseconds(200))
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellation() async {
        let wake = WakeSignal()
        let waiter = Task { await Self.elapsed { await wake.wait(upTo: .seconds(60)) } }
        waiter.cancel()
        #expect(await waiter.value < .seconds(10))
    }
}
