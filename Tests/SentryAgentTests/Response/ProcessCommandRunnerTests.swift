import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("CommandRunner: argv only, timeout, status and stderr", .serialized, .system)
struct ProcessCommandRunnerTests {
    let runner = ProcessCommandRunner()

    @Test("arguments reach the program verbatim: shell syntax is just text")
    func noShell() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hostile = "a\" | touch \(directory.path)/pwned | grep \"b; touch \(directory.path)/pwned2 $(touch \(directory.path)/pwned3)"
        let output = await runner.run(ProgramInvocation("/bin/echo", [hostile, "`id`", "*"]))
        #expect(output.succeeded)
        #expect(String(decoding: output.standardOutput, as: UTF8.self) == hostile + " `id` *\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("standard input is delivered and standard output captured")
    func standardInput() async {
        let output = await runner.run(ProgramInvocation("/bin/cat", [], standardInput: Array("add element\n".utf8)))
        #expect(output == .success("add element\n"))
    }

    @Test("a non-zero exit is a failure carrying the exit status and stderr")
    func failure() async {
        let output = await runner.run(ProgramInvocation("/bin/ls", ["/nonexistent-vigil-path"]))
        #expect(!output.succeeded)
        #expect(output.termination == .exited(2))
        #expect(output.failureReason.hasPrefix("exit status 2: /bin/ls: cannot access '/nonexistent-vigil-path'"))
    }

    @Test("a program past its timeout is killed and reported timed out")
    func timeout() async {
        let clock = ContinuousClock()
        let started = clock.now
        let output = await runner.run(ProgramInvocation("/bin/sleep", ["10"], timeout: .milliseconds(200)))
        #expect(output.termination == .timedOut)
        #expect(clock.now - started < .seconds(3))
    }

    @Test("a program that does not exist is a launch failure, not a crash")
    func missing() async {
        let output = await runner.run(ProgramInvocation("/nonexistent/nft", ["list", "ruleset"]))
        guard case .launchFailed = output.termination else {
            Issue.record("\(output.termination)")
            return
        }
        #expect(!output.succeeded)
    }

    @Test("a program that exits without reading a large standard input does not hurt the agent")
    func brokenPipe() async {
        let output = await runner.run(ProgramInvocation("/bin/true", [], standardInput: [UInt8](repeating: 65, count: 4 << 20)))
        #expect(output.succeeded)
    }

    @Test("the environment is fixed: system PATH and the C locale")
    func environment() async {
        let output = await runner.run(ProgramInvocation("/usr/bin/env", []))
        let lines = Set(String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init))
        #expect(lines == ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"])
    }

    @Test("a prefix is prepended to every argv (how tests enter a network namespace)")
    func prefix() async {
        let output = await ProcessCommandRunner(prefix: ["/bin/echo", "prefixed"]).run(ProgramInvocation("/usr/sbin/nft", ["list"]))
        #expect(output == .success("prefixed /usr/sbin/nft list\n"))
    }

    @Test("a cancelled run ends the program at once and says so")
    func cancellation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.path + "/started"
        let started = ContinuousClock.now
        let run = Task { await runner.run(ProgramInvocation("/bin/sh", ["-c", "touch \(marker); exec sleep 30"], timeout: .seconds(60))) }
        // Cancel only once the program is running, so the kill (not a launch race) is what is tested.
        while !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(5)) }
        run.cancel()
        let output = await run.value
        #expect(output.termination == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("output past the cap is read and dropped: the program finishes and the agent keeps only the cap")
    func boundedOutput() async {
        var capped = ProcessCommandRunner()
        capped.maxOutputBytes = 1000
        capped.maxErrorBytes = 10
        let output = await capped.run(ProgramInvocation("/bin/sh", ["-c", "head -c 5000000 /dev/zero; echo 0123456789abcdef >&2"]))
        #expect(output.succeeded)
        #expect(output.standardOutput.count == 1000)
        #expect(output.standardError == Array("0123456789".utf8))
    }

    @Test("the program starts with no blocked signals and default SIGTERM and SIGPIPE handling")
    func cleanSignals() async {
        // Swift worker threads block signals, and services ignore SIGTERM: neither may reach the program.
        let output = await runner.run(ProgramInvocation("/bin/grep", ["^Sig\\(Blk\\|Ign\\)", "/proc/self/status"]))
        let fields = Dictionary(
            String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").compactMap { line -> (String, UInt64)? in
                let parts = line.split(separator: ":")
                guard parts.count == 2, let mask = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
                return (String(parts[0]), mask)
            }, uniquingKeysWith: { $1 })
        #expect(fields["SigBlk"] == 0)
        let ignored = fields["SigIgn"] ?? .max
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { #expect(ignored & (1 << UInt64(signal - 1)) == 0, "signal \(signal) ignored") }
    }

    @Test("the display form quotes what a shell would misread (logs only; never executed)")
    func display() {
        #expect(ProgramInvocation("/usr/sbin/nft", ["get", "element", "{ 1.2.3.4 }"]).description == "/usr/sbin/nft get element '{ 1.2.3.4 }'")
    }
}
