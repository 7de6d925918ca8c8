import FoundationEssentials
import Shared

/// Runs programs for the responders. Every program the agent runs goes through one of these: an argument vector,
/// never a shell, so nothing from the network is ever parsed as shell syntax.
protocol CommandRunner: Sendable {
    /// Runs `invocation` to completion or its timeout; never throws: a launch failure is an outcome too.
    func run(_ invocation: ProgramInvocation) async -> ProgramOutput
}

/// One program run: an absolute path, its arguments, what it reads on standard input, and how long it may take.
struct ProgramInvocation: Sendable, Equatable, CustomStringConvertible {
    var executable: String
    var arguments: [String]
    var standardInput: [UInt8]
    var timeout: Duration
    /// Variables set on top of the runner's fixed environment (`DEBIAN_FRONTEND` for apt; `APT_CONFIG` in tests).
    var environment: [String: String] = [:]

    init(
        _ executable: String, _ arguments: [String], standardInput: [UInt8] = [], timeout: Duration = .seconds(10),
        environment: [String: String] = [:]
    ) {
        self.executable = executable
        self.arguments = arguments
        self.standardInput = standardInput
        self.timeout = timeout
        self.environment = environment
    }

    /// The argument vector, `argv[0]` first.
    var argv: [String] { [executable] + arguments }

    /// The command line for logs and dry-run records. Display only: it is never given to a shell.
    var description: String {
        argv.map { argument in
            argument.isEmpty || argument.contains(where: { " \t\n'\"\\$`;|&<>(){}*?".contains($0) })
                ? "'" + argument.replacing("'", with: "'\\''") + "'" : argument
        }.joined(separator: " ")
    }
}

/// How a program ended and what it printed.
struct ProgramOutput: Sendable, Equatable {
    /// How the run ended.
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// Killed by the runner after its timeout.
        case timedOut
        /// Killed by the runner because the task awaiting it was cancelled (the agent is stopping).
        case cancelled
        /// The program could not be started (missing, not executable).
        case launchFailed(String)
    }

    var termination: Termination
    var standardOutput: [UInt8] = []
    var standardError: [UInt8] = []

    /// A clean exit with status 0. Anything else is a failure, whatever the program printed.
    var succeeded: Bool { termination == .exited(0) }

    /// Standard error as text, trimmed.
    var errorText: String {
        String(decoding: standardError, as: UTF8.self).trimmingWhitespace()
    }

    /// A one-line reason for a failed run, with the start of standard error: what the result's `failed` carries.
    var failureReason: String {
        let how: String
        switch termination {
        case .exited(let status): how = "exit status \(status)"
        case .signalled(let signal): how = "killed by signal \(signal)"
        case .timedOut: how = "timed out"
        case .cancelled: how = "cancelled"
        case .launchFailed(let reason): return "could not start: \(reason)"
        }
        let stderr = errorText.split(whereSeparator: \.isNewline).prefix(4).joined(separator: " / ")
        guard !stderr.isEmpty else { return how }
        return "\(how): \(stderr.count > 400 ? String(stderr.prefix(400)) + "…" : stderr)"
    }

    /// A successful run with `output` on standard output (for fakes and dry runs).
    static func success(_ output: String = "") -> ProgramOutput {
        ProgramOutput(termination: .exited(0), standardOutput: Array(output.utf8))
    }

    /// A run that exited with `status` and printed `stderr` (for fakes).
    static func failure(status: Int32 = 1, stderr: String) -> ProgramOutput {
        ProgramOutput(termination: .exited(status), standardError: Array(stderr.utf8))
    }
}
