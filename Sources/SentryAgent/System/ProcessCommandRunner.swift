import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs programs with Foundation `Process`: the argument vector is handed to the kernel as is (no shell), the
/// environment is fixed (system PATH, `LC_ALL=C` so messages parse the same everywhere), standard output and error
/// are captured with caps, and a program past its timeout gets SIGTERM, then SIGKILL a second later (programs inherit
/// the blocked signal mask of Swift's worker threads, so SIGTERM may not reach them; SIGKILL cannot be blocked).
struct ProcessCommandRunner: CommandRunner {
    /// Prepended to every argument vector. Tests run the firewall inside a network namespace with
    /// `["/usr/sbin/ip", "netns", "exec", NAME]`, so the host's ruleset is never touched.
    var prefix: [String] = []
    /// Standard output kept per run; the rest is read and dropped so the program never blocks on a full pipe.
    var maxOutputBytes = 16 << 20
    /// Standard error kept per run.
    var maxErrorBytes = 64 << 10

    static let environment = ["PATH": ProgramLocator.systemDirectories.joined(separator: ":"), "LC_ALL": "C"]

    /// Writing a program's standard input after it exited raises SIGPIPE, whose default action would kill the agent.
    /// Ignoring it turns that into an EPIPE error, which the writer already tolerates.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    init(prefix: [String] = []) {
        self.prefix = prefix
    }

    func run(_ invocation: ProgramInvocation) async -> ProgramOutput {
        Self.ignoreBrokenPipes
        let argv = prefix + invocation.argv
        let limits = (output: maxOutputBytes, error: maxErrorBytes)
        // Process waits by blocking; a dedicated thread keeps that off Swift's cooperative pool.
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    returning: Self.runBlocking(argv: argv, input: invocation.standardInput, timeout: invocation.timeout, limits: limits))
            }
        }
    }

    private static func runBlocking(argv: [String], input: [UInt8], timeout: Duration, limits: (output: Int, error: Int)) -> ProgramOutput {
        guard let executable = argv.first else { return ProgramOutput(termination: .launchFailed("empty argument vector")) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        let stdin = input.isEmpty ? nil : Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            return ProgramOutput(termination: .launchFailed("\(executable): \(error.localizedDescription)"))
        }
        let pid = process.processIdentifier
        let streams = DispatchGroup()
        let captured = CapturedStreams()
        // Blocking reads get threads of their own: Dispatch's global pool is as small as the core count on Linux,
        // and blocking it would also stall `Process`'s own termination handlers.
        streams.enter()
        Thread.detachNewThread {
            captured.setOutput(readAll(stdout.fileHandleForReading, keeping: limits.output))
            streams.leave()
        }
        streams.enter()
        Thread.detachNewThread {
            captured.setError(readAll(stderr.fileHandleForReading, keeping: limits.error))
            streams.leave()
        }
        if let stdin { writeAll(input, to: stdin.fileHandleForWriting) }

        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var timedOut = false
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            timedOut = true
            // The pid cannot have been reused: the child is only reaped after it exits, and it has not signalled exit.
            kill(pid, SIGTERM)
            if exited.wait(timeout: .now() + 1) == .timedOut {
                kill(pid, SIGKILL)
                exited.wait()
            }
        }
        // A grandchild may hold the pipes open; do not wait for it longer than a moment.
        _ = streams.wait(timeout: .now() + 2)
        let termination: ProgramOutput.Termination
        if timedOut {
            termination = .timedOut
        } else if process.terminationReason == .uncaughtSignal {
            termination = .signalled(process.terminationStatus)
        } else {
            termination = .exited(process.terminationStatus)
        }
        return ProgramOutput(termination: termination, standardOutput: captured.output, standardError: captured.error)
    }

    private static func writeAll(_ bytes: [UInt8], to handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    break  // EPIPE: the program stopped reading; its exit status tells the rest.
                }
            }
        }
        try? handle.close()
    }

    private static func readAll(_ handle: FileHandle, keeping limit: Int) -> [UInt8] {
        var kept: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let descriptor = handle.fileDescriptor
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                if kept.count < limit { kept.append(contentsOf: chunk[0..<min(count, limit - kept.count)]) }
            } else if count < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        return kept
    }
}

/// What the two reader threads collected. Each field is written once by its own reader and read after both
/// finished (or gave up), under the lock.
private final class CapturedStreams: @unchecked Sendable {
    private let lock = NSLock()
    private var storedOutput: [UInt8] = []
    private var storedError: [UInt8] = []

    func setOutput(_ bytes: [UInt8]) { lock.withLock { storedOutput = bytes } }
    func setError(_ bytes: [UInt8]) { lock.withLock { storedError = bytes } }
    var output: [UInt8] { lock.withLock { storedOutput } }
    var error: [UInt8] { lock.withLock { storedError } }
}
