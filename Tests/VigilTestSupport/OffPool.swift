import Foundation

/// Runs blocking work (a child process to its end, a pipe to its end, a `waitpid`) on a thread of its own, and awaits
/// its result.
///
/// Swift's cooperative pool has one thread per core: two on the CI machine. A test that blocks one of them while `ssh`
/// fails three passwords, and another that waits for a CLI at the same moment, stall every other test in the process:
/// their servers cannot answer and their clients' timeouts fire. Seen once in CI: nine unrelated HTTP exchanges timed
/// out together after 13 s. `Task.detached` is no way out, since it runs on the same pool. Blocking calls in tests go
/// through here.
public func offPool<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}

/// `offPool` for work that cannot fail.
public func offPool<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Runs programs to their end from tests, off the cooperative pool (see `offPool`).
public enum ProgramRun {
    /// How a program run to its end ended, and what it printed.
    public struct Output: Sendable {
        public let status: Int32
        public let output: String
        /// Standard error; empty when it was merged into `output`.
        public let errors: String
    }

    /// Runs `argv` (never through a shell unless `argv` names one) with `input` on its standard input (else nothing),
    /// `environment` replacing the inherited one when given, and standard error merged into the output or read apart.
    public static func run(
        _ argv: [String], input: String? = nil, environment: [String: String]? = nil, mergingErrors: Bool = false
    ) async throws -> Output {
        try await offPool { try runBlocking(argv, input: input, environment: environment, mergingErrors: mergingErrors) }
    }

    /// Waits for a started `Process` to end, off the pool.
    public static func waitForExit(_ process: Process) async {
        await offPool { process.waitUntilExit() }
    }

    private static func runBlocking(
        _ argv: [String], input: String?, environment: [String: String]?, mergingErrors: Bool
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = mergingErrors ? output : Pipe()
        process.standardOutput = output
        process.standardError = errors
        let standardInput = input.map { _ in Pipe() }
        process.standardInput = standardInput ?? FileHandle.nullDevice
        try process.run()
        // Standard error is drained beside standard output: a child blocked writing one full pipe would never end.
        let errorText = LockedText()
        let errorsRead = DispatchSemaphore(value: 0)
        if !mergingErrors {
            Thread {
                errorText.set(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
                errorsRead.signal()
            }.start()
        }
        if let standardInput, let input {
            standardInput.fileHandleForWriting.write(Data(input.utf8))
            try? standardInput.fileHandleForWriting.close()
        }
        let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if !mergingErrors { errorsRead.wait() }
        return Output(status: process.terminationStatus, output: outputText, errors: errorText.value)
    }
}

/// Text handed from a reader thread to the caller.
private final class LockedText: @unchecked Sendable {
    // Only touched under `lock`.
    private let lock = NSLock()
    private var text = ""

    func set(_ text: String) { lock.withLock { self.text = text } }
    var value: String { lock.withLock { text } }
}
