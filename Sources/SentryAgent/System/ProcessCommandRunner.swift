import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs programs with `posix_spawn` (`ProgramSpawner`): the argument vector is handed to the kernel as is (no shell),
/// the environment is fixed (system PATH, `LC_ALL=C` so messages parse the same everywhere), the child starts with
/// default signal dispositions and an empty mask, standard output and error are captured with caps, and a program past
/// its timeout, or whose caller was cancelled, gets SIGTERM, then SIGKILL a second later.
struct ProcessCommandRunner: CommandRunner {
    /// Prepended to every argument vector. Tests run the firewall inside a network namespace with
    /// `["/usr/sbin/ip", "netns", "exec", NAME]`, so the host's ruleset is never touched.
    var prefix: [String] = []
    /// Standard output kept per run; the rest is read and dropped so the program never blocks on a full pipe.
    var maxOutputBytes = 16 << 20
    /// Standard error kept per run.
    var maxErrorBytes = 64 << 10
    /// How long output is still read after the program ended: a descendant it left behind may hold the pipes open.
    var outputGrace: Duration = .seconds(2)

    static let environment = ["PATH": ProgramLocator.systemDirectories.joined(separator: ":"), "LC_ALL": "C"]

    /// Writing a program's standard input after it exited raises SIGPIPE, whose default action would kill the agent.
    /// Ignoring it turns that into an EPIPE error, which the writer already tolerates.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    init(prefix: [String] = []) {
        self.prefix = prefix
    }

    func run(_ invocation: ProgramInvocation) async -> ProgramOutput {
        Self.ignoreBrokenPipes
        guard let cancellation = CancellationPipe() else {
            return ProgramOutput(termination: .launchFailed("cannot create a pipe: \(String(cString: strerror(errno)))"))
        }
        let child: SpawnedChild
        do {
            child = try ProgramSpawner.spawn(
                prefix + invocation.argv, environment: Self.environment.merging(invocation.environment) { $1 },
                standardInput: invocation.standardInput.isEmpty ? .null : .pipe,
                standardOutput: .pipe, standardError: .pipe)
        } catch {
            return ProgramOutput(termination: .launchFailed(error.program.isEmpty ? error.reason : "\(error.program): \(error.reason)"))
        }
        let supervision = ChildSupervision(
            child: child, input: invocation.standardInput, deadline: .now + invocation.timeout, outputGrace: outputGrace,
            limits: (maxOutputBytes, maxErrorBytes), cancellation: cancellation.readEnd)
        // The supervision blocks in poll() and waitpid(): a thread of its own keeps that off Swift's cooperative pool.
        return await withTaskCancellationHandler {
            await DedicatedThread.run { supervision.run() }
        } onCancel: {
            cancellation.fire()
        }
    }
}

/// Lets a task's cancellation handler wake the supervising thread: a pipe whose read end that thread polls.
///
/// Both descriptors live as long as this object, and the handler holds a reference while it can run, so a late
/// cancellation never writes into a descriptor number already reused for something else.
private final class CancellationPipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init?() {
        var ends: [Int32] = [-1, -1]
        guard ProgramSpawner.makePipe(&ends, flags: O_NONBLOCK) == 0 else { return nil }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func fire() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }
}

/// One running program, watched from a dedicated thread: feeds its standard input, reads its output into bounded
/// buffers, and ends it at the deadline or on cancellation.
private struct ChildSupervision: Sendable {
    let child: SpawnedChild
    let input: [UInt8]
    let deadline: ContinuousClock.Instant
    let outputGrace: Duration
    let limits: (output: Int, error: Int)
    let cancellation: Int32

    /// How often the loop looks whether the program has exited while its pipes stay quiet.
    private static let exitCheckInterval: Duration = .milliseconds(20)

    func run() -> ProgramOutput {
        var output = BoundedCapture(limit: limits.output)
        var error = BoundedCapture(limit: limits.error)
        var inputDescriptor = child.standardInput
        var inputOffset = 0
        var outputDescriptor = child.standardOutput
        var errorDescriptor = child.standardError
        defer { for descriptor in [inputDescriptor, outputDescriptor, errorDescriptor] { if let descriptor { close(descriptor) } } }
        if let inputDescriptor { _ = fcntl(inputDescriptor, F_SETFL, fcntl(inputDescriptor, F_GETFL) | O_NONBLOCK) }

        var exit: ChildExit?
        var ended: ContinuousClock.Instant?
        var forced: ProgramOutput.Termination?
        while true {
            if exit == nil, let status = child.exitIfEnded() {
                exit = status
                ended = .now
            }
            if let ended, (outputDescriptor == nil && errorDescriptor == nil) || ContinuousClock.now - ended > outputGrace { break }
            if exit == nil, ContinuousClock.now >= deadline {
                forced = .timedOut
                exit = child.stop(grace: .seconds(1))
                ended = .now
                continue
            }
            if exit != nil, let descriptor = inputDescriptor {
                close(descriptor)
                inputDescriptor = nil
            }

            var watched: [pollfd] = []
            for (descriptor, events) in [(inputDescriptor, POLLOUT), (outputDescriptor, POLLIN), (errorDescriptor, POLLIN)] {
                watched.append(pollfd(fd: descriptor ?? -1, events: Int16(events), revents: 0))
            }
            watched.append(pollfd(fd: exit == nil ? cancellation : -1, events: Int16(POLLIN), revents: 0))
            let wait = min(Self.exitCheckInterval, exit == nil ? deadline - .now : Self.exitCheckInterval)
            let ready = poll(&watched, nfds_t(watched.count), Int32(max(0, wait.milliseconds)))
            guard ready > 0 else { continue }

            if watched[3].revents != 0 {
                forced = .cancelled
                exit = child.stop(grace: .seconds(1))
                ended = .now
                continue
            }
            if let descriptor = inputDescriptor, watched[0].revents != 0 {
                if !feed(descriptor, from: &inputOffset) {
                    close(descriptor)
                    inputDescriptor = nil
                }
            }
            if let descriptor = outputDescriptor, watched[1].revents != 0, !output.read(from: descriptor) {
                close(descriptor)
                outputDescriptor = nil
            }
            if let descriptor = errorDescriptor, watched[2].revents != 0, !error.read(from: descriptor) {
                close(descriptor)
                errorDescriptor = nil
            }
        }
        let termination: ProgramOutput.Termination
        switch (forced, exit) {
        case (let forced?, _): termination = forced
        case (nil, .signalled(let signal)?): termination = .signalled(signal)
        case (nil, .exited(let status)?): termination = .exited(status)
        case (nil, nil): termination = .exited(-1)
        }
        return ProgramOutput(termination: termination, standardOutput: output.bytes, standardError: error.bytes)
    }

    /// Writes what the pipe takes now; false once all is written or the program stopped reading (EPIPE: its exit
    /// status tells the rest).
    private func feed(_ descriptor: Int32, from offset: inout Int) -> Bool {
        let written = input.withUnsafeBytes { buffer in
            Glibc.write(descriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
        }
        if written > 0 {
            offset += written
            return offset < input.count
        }
        return written < 0 && (errno == EINTR || errno == EAGAIN)
    }
}

/// One output stream's bytes, up to a limit; the rest is read and dropped so the program never blocks on a full pipe.
private struct BoundedCapture {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

    init(limit: Int) {
        self.limit = limit
    }

    /// Reads what is there; false at end of stream (or a read error, which ends it too).
    mutating func read(from descriptor: Int32) -> Bool {
        let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            if bytes.count < limit { bytes.append(contentsOf: chunk[0..<min(count, limit - bytes.count)]) }
            return true
        }
        return count < 0 && (errno == EINTR || errno == EAGAIN)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up (a poll timeout of 0 would spin).
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}
