import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The follower in a real child process (`sentry-agent follow --output`), killed with SIGKILL at random moments
/// while a writer appends and rotates, then restarted from its saved state.
@Suite("LogFollower killed with SIGKILL and restarted", .serialized, .system)
struct FollowerCrashTests {
    /// The `sentry-agent` built next to this test bundle.
    static var agentBinary: String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The bundle may sit inside `<name>.xctest/`; the products are beside it.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        let candidate = directory.appendingPathComponent("sentry-agent").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Starts `sentry-agent follow` with its output going to `output`.
    static func startFollower(binary: String, state: String, output: String, path: String) throws -> pid_t {
        // The hidden commit delay holds each batch between "written to the output" and "checkpoint saved", so kills land
        // in that window often: without the roll-back on restart, lines would come out twice.
        let arguments = [
            binary, "follow", "--state-dir", state, "--output", output, "--start-at", "beginning", "--rotation-grace", "1",
            "--commit-delay-microseconds", "20000", path,
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, binary, nil, nil, &argv, environ)
        guard status == 0 else { throw TestFailure("cannot start \(binary): \(status)") }
        return pid
    }

    static func lines(in path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test("SIGKILL mid-stream, eight times, with rotations in between: every line comes out exactly once")
    func killedAndRestarted() async throws {
        let binary = try #require(Self.agentBinary, "sentry-agent must be built beside the tests (swift build --build-tests)")
        let directory = try TemporaryDirectory()
        let path = directory.file("crash.log")
        let output = directory.file("out.txt")
        let state = directory.file("state")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let written = LineLog()
        let kills = LineLog()
        await onThread {
            let writer = LogWriter(path: path)
            var generator = SystemRandomNumberGenerator()
            for round in 0..<8 {
                guard let pid = try? Self.startFollower(binary: binary, state: state, output: output, path: path) else { return }
                if round == 0 {
                    // The very first start must get to its first checkpoint: before it, the file is not known to be followed.
                    let deadline = ContinuousClock.now + .seconds(10)
                    while !FileManager.default.fileExists(atPath: state + "/positions/follow.json"), ContinuousClock.now < deadline {
                        pause(microseconds: 2000)
                    }
                }
                // Write for a random while (50–300 ms), then kill the follower wherever it is: starting, restoring,
                // reading, writing its output, saving.
                let lines = Int.random(in: 300...900, using: &generator)
                for index in 0..<lines {
                    writer.appendLine()
                    if index % 25 == 0 { pause(microseconds: UInt32.random(in: 1000...8000, using: &generator)) }
                    if round % 3 == 1, index == lines / 2 {
                        writer.renameAway(suffix: ".\(round)")
                        writer.reopen()
                    }
                }
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                kills.append("\(round)")
                writer.appendBlock(Int.random(in: 1...40, using: &generator))
            }
            for line in writer.written { written.append(line) }
        }
        // A last, undisturbed run drains everything.
        let pid = try Self.startFollower(binary: binary, state: state, output: output, path: path)
        // Done when every line is out and the checkpoint covers the whole file with no rotated generation left to
        // drain: the follower has nothing more to read, so a line it printed twice would be in the output by now.
        do {
            try await waitUntil("every line out and checkpointed", timeout: .seconds(20), poll: .milliseconds(50)) {
                guard Self.lines(in: output).count >= written.count else { return false }
                var size = stat()
                guard stat(path, &size) == 0 else { return false }
                let saved = FileFollowerStateStore(stateDirectory: state, source: "follow").load()?.files[path]
                return saved?.current?.offset == Int64(size.st_size) && (saved?.rotated ?? []).isEmpty
            }
        } catch is WaitTimeout {
            // What is missing or doubled is reported by the accounting below.
        }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(kills.count == 8)
        let accounting = LineAccounting(written: written.lines, received: Self.lines(in: output))
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }
}
