import Foundation
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The built `sentry-agent` run as a user runs it: arguments in, exit status and both streams out.
enum AgentCLI {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the binary to completion. `prefix` runs it under another program (`nsenter --net=…`); `environment`
    /// replaces the inherited one when given.
    static func run(_ arguments: [String], prefix: [String] = [], environment: [String: String]? = nil) throws -> Result {
        guard let binary = FollowerCrashTests.agentBinary else { throw TestFailure("sentry-agent must be built beside the tests") }
        let process = Process()
        let argv = prefix + [binary] + arguments
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes concurrently: a child blocked writing one full pipe would never exit.
        let errorData = LockedData()
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), errors: errorData.text)
    }
}

/// Bytes handed from a reader thread to the test.
final class LockedData: @unchecked Sendable {
    // `data` and `done` are only touched under `lock`.
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func set(_ value: Data) {
        lock.withLock {
            data = value
            done = true
        }
    }

    var isSet: Bool { lock.withLock { done } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
