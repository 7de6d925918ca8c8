import Foundation
import Testing
import VigilTestSupport

/// The tests' own way of running programs. It must wait off the cooperative pool: a suite whose tests blocked pool
/// threads on children stalled every other test's servers until their clients timed out.
@Suite("Running programs from tests")
struct ProgramRunTests {
    @Test("a program runs to its end: its status, its output, its errors apart or merged, and its input")
    func runs() async throws {
        let apart = try await ProgramRun.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(apart.status == 3 && apart.output == "out\n" && apart.errors == "err\n")
        let merged = try await ProgramRun.run(["/bin/sh", "-c", "echo err >&2"], mergingErrors: true)
        #expect(merged.output == "err\n" && merged.errors.isEmpty)
        let echoed = try await ProgramRun.run(["/bin/cat"], input: "a line\n")
        #expect(echoed.output == "a line\n")
        await #expect(throws: (any Error).self) { try await ProgramRun.run(["/nonexistent/program"]) }
    }

    @Test("while a program runs, the executor the test awaits it on stays free for other tasks")
    func waitsOffTheExecutor() async throws {
        let executor = OneThreadExecutor()
        let first = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: String.self) { group in
                group.addTask {
                    _ = try? await ProgramRun.run(["/bin/sleep", "2"])
                    return "program"
                }
                // Ten short sleeps on the same one thread: they can only finish first if the run does not hold it.
                group.addTask {
                    for _ in 0..<10 { try? await Task.sleep(for: .milliseconds(20)) }
                    return "ticker"
                }
                let first = await group.next()
                await group.waitForAll()
                return first
            }
        }
        #expect(first == "ticker")
    }
}
