import Foundation
import Synchronization
import Testing
import VigilTestSupport

/// The shared test support keeps its promises: one system test at a time, waits that fail loudly, directories that
/// go away, generators that repeat.
@Suite("Test support")
struct VigilTestSupportTests {
    /// A counter shared with the tasks of a test.
    final class Tally: Sendable {
        let state = Mutex((now: 0, most: 0))
    }

    @Test("the system-test lock never lets two holders overlap, however many wait")
    func lockExcludes() async {
        let lock = SystemTestLock()
        let tally = Tally()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await lock.withLock {
                        tally.state.withLock {
                            $0.now += 1
                            $0.most = max($0.most, $0.now)
                        }
                        await Task.yield()
                        tally.state.withLock { $0.now -= 1 }
                    }
                }
            }
        }
        #expect(tally.state.withLock { $0.most } == 1)
    }

    @Test("waitUntil returns once the condition holds and throws, naming the wait, when it never does")
    func waitUntilOutcomes() async throws {
        let polls = Tally()
        try await waitUntil(poll: .milliseconds(1)) {
            polls.state.withLock {
                $0.now += 1
                return $0.now >= 3
            }
        }
        #expect(polls.state.withLock { $0.now } == 3)
        do {
            try await waitUntil("the impossible", timeout: .milliseconds(50), poll: .milliseconds(5)) { false }
            Issue.record("waitUntil returned for a condition that never held")
        } catch let timeout as WaitTimeout {
            #expect(timeout.description.contains("the impossible"))
        }
    }

    @Test("a temporary directory is fresh, private and gone after remove()")
    func temporaryDirectory() throws {
        let directory = try TemporaryDirectory("vigil-support")
        #expect(FileManager.default.createFile(atPath: directory.file("a"), contents: Data("x".utf8)))
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(try TemporaryDirectory("vigil-support").path != directory.path)
        directory.remove()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test("a seeded generator repeats its sequence (SplitMix64's published first value for seed 0)")
    func seededGenerator() {
        var zero = SeededGenerator(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        #expect((0..<5).map { _ in first.next() } == (0..<5).map { _ in second.next() })
    }

    @Test("a free loopback port is a real, unprivileged port")
    func freePort() throws {
        let port = try FreePort.loopback()
        #expect(port >= 1024)
    }
}
