import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("--dry-run", .serialized, .system)
struct DryRunTests {
    /// Stands for the real runner: in a dry run it must never be called.
    let realRunner = RecordingCommandRunner()
    let locator = ProgramLocator(directories: ["/usr/sbin", "/usr/bin", "/sbin", "/bin"])

    func makeResponders(_ configuration: ResponsesConfiguration) -> Executor.Responders {
        Executor.Responders.make(
            configuration: configuration, hubAddresses: [], dryRun: true, runner: realRunner, locator: locator,
            localAddresses: { [] }, logger: Logger(label: "test"))
    }

    func makeExecutor(_ directory: TemporaryDirectory, configuration: ResponsesConfiguration) throws -> Executor {
        try Executor(configuration: configuration, responders: makeResponders(configuration), journalPath: directory.path + "/j")
    }

    @Test(
        "a dry-run block answers done and names the nft transaction it would have run",
        .enabled(if: SystemRequirements.has("nft"), "needs nft installed (nothing is run)"))
    func block() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await makeExecutor(directory, configuration: ResponsesConfiguration()).execute(
            .make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        #expect(result.outcome == .done)
        let detail = try #require(result.detail)
        #expect(detail.hasPrefix("dry run: blocked 203.0.113.7 for 1h (nftables"))
        #expect(detail.contains("add element inet vigil blocked4 { 203.0.113.7 timeout 3600s }"))
        #expect(detail.contains("add table inet vigil"))
        #expect(realRunner.invocations.isEmpty)
    }

    @Test(
        "a dry run remembers its simulated blocks: /blocks lists them, a repeat is already done, Unblock lifts them",
        .enabled(if: SystemRequirements.has("nft"), "needs nft installed (nothing is run)"))
    func remembersBlocks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let responders = Executor.Responders.make(
            configuration: ResponsesConfiguration(), hubAddresses: [], dryRun: true, runner: realRunner, locator: locator,
            localAddresses: { [] }, logger: Logger(label: "test"))
        let executor = try Executor(configuration: ResponsesConfiguration(), responders: responders, journalPath: directory.path + "/j")
        #expect(try await responders.blocks.list().isEmpty)

        #expect(await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600))).outcome == .done)
        #expect(await executor.execute(.make(.blockIP(ip: "2001:db8::7", durationSeconds: nil))).outcome == .done)
        let listed = try await responders.blocks.list()
        #expect(listed.map(\.address.description) == ["2001:db8::7", "203.0.113.7"])
        let timed = try #require(listed.first { $0.address.description == "203.0.113.7" }?.timeLeft)
        #expect(timed <= .seconds(3600) && timed > .seconds(3590))
        #expect(listed.first { $0.address.description == "2001:db8::7" }?.timeLeft == nil)

        let again = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 600)))
        #expect(again.outcome == .alreadyDone)

        let lifted = await executor.execute(.make(.unblockIP(ip: "203.0.113.7")))
        #expect(lifted.outcome == .done)
        #expect(lifted.detail?.contains("delete element inet vigil blocked4 { 203.0.113.7 }") == true)
        #expect(try await responders.blocks.list().map(\.address.description) == ["2001:db8::7"])
        #expect(await executor.execute(.make(.unblockIP(ip: "203.0.113.7"))).outcome == .alreadyDone)
        #expect(realRunner.invocations.isEmpty)
    }

    @Test("dry-run reboot and shutdown answer done with the argv they would run, and run nothing")
    func power() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.reboot = true
        configuration.shutdown = true
        configuration.rebootCommand = ["/bin/true", "reboot"]
        configuration.shutdownCommand = ["/bin/true", "poweroff"]
        let executor = try makeExecutor(directory, configuration: configuration)
        let reboot = await executor.execute(.make(.reboot))
        let shutdown = await executor.execute(.make(.shutdown))
        #expect(reboot.outcome == .done)
        #expect(reboot.detail == "dry run: would run /bin/true reboot in 2s")
        #expect(shutdown.detail == "dry run: would run /bin/true poweroff in 2s")
        #expect(realRunner.invocations.isEmpty)
        // Power work runs after the reply, so "nothing ran" is only final if none was scheduled: in a dry run the
        // power control hands back no work at all (rather than waiting out its delay and then finding nothing).
        let power = makeResponders(configuration).power
        #expect(power.schedule(.reboot).work == nil)
        #expect(power.schedule(.shutdown).work == nil)
    }

    @Test("a dry-run kill still checks the process is the session, and signals nothing")
    func kill() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(directory, configuration: ResponsesConfiguration())
        // Our own test process is not sshd: refused like a reused pid.
        let status = try #require(ProcessTable().status(of: getpid()))
        let result = await executor.execute(.make(.killSession(pid: getpid(), startTime: status.startTime)))
        guard case .refused = result.outcome else {
            Issue.record("not refused: \(result.outcome)")
            return
        }
        let fake = try FakeProcRoot.make([4242: ("sshd", "S", 777)])
        defer { fake.remove() }
        let killer = SessionKiller(processes: ProcessTable(root: fake.path), signaller: RecordingSignaller(), dryRun: true)
        let report = await killer.kill(pid: 4242, startTime: 777)
        #expect(report == .done("dry run: would send SIGTERM to sshd pid 4242, then SIGKILL after 3s if it still runs"))
    }
}
