import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent packages …` run as users run it: the binary, standard input in, standard output and status out.
@Suite("sentry-agent packages: the command-line contracts", .serialized, .system)
struct PackagesCommandTests {
    static var binary: String? { FollowerCrashTests.agentBinary }

    private static func run(_ arguments: [String], input: String = "") async throws -> ProgramOutput {
        guard let binary else { throw SandboxFailure("sentry-agent must be built beside the tests") }
        return await ProcessCommandRunner().run(ProgramInvocation(binary, arguments, standardInput: Array(input.utf8), timeout: .seconds(120)))
    }

    @Test("compare-versions prints <, = or > per input line; a refused version prints ? with its reason and exit status 2")
    func compareVersions() async throws {
        let good = try await Self.run(["packages", "compare-versions"], input: "1.0~rc1 1.0\n1:0.9 2.0\n1.0 1.00\n2.0-1+deb12u1 2.0-1\n")
        #expect(good == .success("<\n>\n=\n>\n"))
        let bad = try await Self.run(["packages", "compare-versions"], input: "1.0 1.1\nx:1 1\n")
        #expect(bad.termination == .exited(2))
        #expect(String(decoding: bad.standardOutput, as: UTF8.self) == "<\n?\n")
        #expect(bad.errorText == "line 2: epoch in version is empty")
    }

    @Test(
        "scan prints one JSON object per pending binary package, with apt pointed at private lists by -o",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive (apt-utils; .ci/run installs it)"), .timeLimit(.minutes(5)))
    func scan() async throws {
        typealias Package = AptSandbox.Package
        let sandbox = try await AptSandbox.make(
            main: [Package(name: "vigil-canary", version: "1.0-1")], security: [Package(name: "vigil-canary", version: "1.0-1+deb12u1")],
            installed: [(Package(name: "vigil-canary", version: "1.0-1"), "install ok installed")])
        defer { sandbox.remove() }
        let options = stride(from: 1, to: sandbox.aptOptions.count, by: 2).flatMap { ["-o", sandbox.aptOptions[$0]] }
        let output = try await Self.run(["packages", "scan"] + options + ["--status", sandbox.statusPath])
        #expect(
            output
                == .success(
                    #"{"arch":"amd64","candidate":"1.0-1+deb12u1","held":false,"installed":"1.0-1","package":"vigil-canary","source":"vigil-canary","source_version":"1.0-1"}"#
                        + "\n"))
    }
}
