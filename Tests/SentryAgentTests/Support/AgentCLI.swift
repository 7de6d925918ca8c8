import Foundation
import VigilTestSupport

/// The built `sentry-agent` run as a user runs it: arguments in, exit status and both streams out.
enum AgentCLI {
    typealias Result = ProgramRun.Output

    /// Runs the binary to completion, off the cooperative pool. `prefix` runs it under another program
    /// (`nsenter --net=…`); `environment` replaces the inherited one when given.
    static func run(_ arguments: [String], prefix: [String] = [], environment: [String: String]? = nil) async throws -> Result {
        guard let binary = FollowerCrashTests.agentBinary else { throw TestFailure("sentry-agent must be built beside the tests") }
        return try await ProgramRun.run(prefix + [binary] + arguments, environment: environment)
    }
}
