import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The executor's checks and memory, with a fake firewall and recording runner/signaller: every test also proves
/// what did (or did not) run.
@Suite("Executor: enabled, unexpired, once")
struct ExecutorTests {
    let firewall = FakeFirewall()
    let runner = RecordingCommandRunner()
    let signaller = RecordingSignaller()

    func makeExecutor(_ configuration: ResponsesConfiguration = ResponsesConfiguration(), journal directory: TemporaryDirectory) throws -> Executor {
        try Executor(
            configuration: configuration,
            responders: .fake(firewall: firewall, runner: runner, signaller: signaller),
            journalPath: directory.path + "/responses.journal"
        )
    }

    func nothingRan() async -> Bool {
        await firewall.changes.isEmpty && runner.invocations.isEmpty && signaller.signals.isEmpty
    }

    @Test("a new block runs once and reports the element and its expiry")
    func blocks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        let result = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        #expect(result.outcome == .done)
        #expect(result.detail?.contains("blocked 203.0.113.7 for 1h") == true)
        #expect(await firewall.changes == ["add 203.0.113.7 3600s"])
    }

    @Test(
        "every action is refused while disabled, and nothing runs",
        arguments: [
            ResponseAction.blockIP(ip: "203.0.113.7", durationSeconds: 3600), .unblockIP(ip: "203.0.113.7"),
            .killSession(pid: 4242, startTime: 1), .reboot, .shutdown,
        ])
    func disabled(_ action: ResponseAction) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.blockIP = false
        configuration.killSession = false
        let result = try await makeExecutor(configuration, journal: directory).execute(.make(action))
        guard case .refused(let reason) = result.outcome else {
            Issue.record("not refused: \(result.outcome)")
            return
        }
        #expect(reason.contains("disabled"))
        #expect(await nothingRan())
    }

    @Test("reboot and shutdown are off by default")
    func powerOffByDefault() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        for action in [ResponseAction.reboot, .shutdown] {
            let result = await executor.execute(.make(action))
            #expect(result.outcome == .refused(reason: "\(action.name) is disabled in this agent's configuration (responses.\(action.name))"))
        }
        // A barrier instead of a pause: a reboot enabled and scheduled now runs after the same delay as any power work
        // the refusals could have scheduled before it, so once it has run, that work would have run too.
        var enabled = ResponsesConfiguration()
        enabled.reboot = true
        let barrierJournal = try TemporaryDirectory()
        defer { barrierJournal.remove() }
        #expect(try await makeExecutor(enabled, journal: barrierJournal).execute(.make(.reboot)).outcome == .done)
        try await waitUntil("the barrier reboot ran") { !runner.invocations.isEmpty }
        #expect(runner.invocations.map(\.argv) == [["/bin/true", "reboot"]], "only the barrier ran")
        #expect(await firewall.changes.isEmpty && signaller.signals.isEmpty)
    }

    @Test("an expired command is refused and nothing runs")
    func expired() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let command = ResponseCommand.make(
            .blockIP(ip: "203.0.113.7", durationSeconds: 3600), issuedAt: Date().addingTimeInterval(-600), validFor: 300)
        let result = try await makeExecutor(journal: directory).execute(command)
        guard case .refused(let reason) = result.outcome else {
            Issue.record("not refused: \(result.outcome)")
            return
        }
        #expect(reason.contains("expired"))
        #expect(await nothingRan())
    }

    @Test("an expiry claimed more than a week ahead is refused")
    func expiryTooFar() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let command = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600), validFor: 30 * 86_400)
        let result = try await makeExecutor(journal: directory).execute(command)
        #expect(result.outcome == .refused(reason: "command expiry is more than 7 days ahead"))
        #expect(await nothingRan())
    }

    @Test("a repeated command id is answered already_done with the recorded detail, and runs once")
    func idempotent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        let command = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600))
        let first = await executor.execute(command)
        let second = await executor.execute(command)
        #expect(first.outcome == .done)
        #expect(second.outcome == .alreadyDone)
        #expect(second.detail == first.detail)
        #expect(second.commandId == command.id)
        #expect(await firewall.changes.count == 1)
    }

    @Test("the same id arriving twice at once runs once")
    func concurrentRepeat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        let command = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600))
        async let first = executor.execute(command)
        async let second = executor.execute(command)
        let outcomes = await [first.outcome, second.outcome]
        #expect(outcomes.filter { $0 == .done }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyDone }.count == 1)
        #expect(await firewall.changes.count == 1)
    }

    @Test("idempotency survives an agent restart: a new executor on the same journal runs nothing")
    func survivesRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let command = ResponseCommand.make(.killSession(pid: 4242, startTime: 99))
        let block = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: nil))
        _ = try await makeExecutor(journal: directory).execute(block)
        _ = try await makeExecutor(journal: directory).execute(command)  // refused: no such process; recorded anyway
        let changesBefore = await firewall.changes

        let restarted = try makeExecutor(journal: directory)
        let again = await restarted.execute(block)
        #expect(again.outcome == .alreadyDone)
        #expect(again.detail?.contains("permanently") == true)
        #expect(await restarted.execute(command).outcome == .refused(reason: SessionKiller.endedOrReused))
        #expect(await firewall.changes == changesBefore)
    }

    @Test("a command that started but never finished (the agent died) is not run again after a restart")
    func interrupted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let command = ResponseCommand.make(.blockIP(ip: "203.0.113.7", durationSeconds: 60))
        let journal = try CommandJournal(path: directory.path + "/responses.journal")
        try journal.recordStarted(command)
        let result = try await makeExecutor(journal: directory).execute(command)
        guard case .failed(let reason) = result.outcome else {
            Issue.record("not failed: \(result.outcome)")
            return
        }
        #expect(reason.contains("not run again"))
        #expect(await nothingRan())
    }

    @Test(
        "hostile addresses and protected addresses are refused, and the firewall is not even asked",
        arguments: ["a\" | cmd | grep \"b", "1.2.3.4;reboot", "0.0.0.0/0", "::/0", "127.0.0.1", "::1", "::ffff:127.0.0.1", "example.com"])
    func refusedAddresses(_ ip: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await makeExecutor(journal: directory).execute(.make(.blockIP(ip: ip, durationSeconds: 3600)))
        guard case .refused = result.outcome else {
            Issue.record("not refused: \(result.outcome)")
            return
        }
        #expect(await firewall.calls.isEmpty)
    }

    @Test("a never_block network is refused", arguments: ["10.1.2.3", "10.255.0.1"])
    func neverBlock(_ ip: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.neverBlock = [IPNetwork("10.0.0.0/8")!]
        let executor = try Executor(
            configuration: configuration,
            responders: .fake(firewall: firewall, blockGuard: BlockGuard(neverBlock: configuration.neverBlock, localAddresses: { [] })),
            journalPath: directory.path + "/responses.journal")
        let result = await executor.execute(.make(.blockIP(ip: ip, durationSeconds: 3600)))
        #expect(result.outcome == .refused(reason: "\(ip) is in responses.never_block (10.0.0.0/8)"))
        #expect(await firewall.calls.isEmpty)
    }

    @Test("durations outside 1 s … 24 days are refused", arguments: [0, -5, 24 * 86_400 + 1, Int.max])
    func durationBounds(_ seconds: Int) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await makeExecutor(journal: directory).execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: seconds)))
        guard case .refused = result.outcome else {
            Issue.record("not refused: \(result.outcome)")
            return
        }
        #expect(await firewall.calls.isEmpty)
    }

    @Test("blocking an already-blocked address extends it and says so; a shorter block keeps the longer one")
    func extendsNeverShortens() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        _ = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        let longer = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 86_400)))
        #expect(longer.outcome == .done)
        #expect(longer.detail?.hasPrefix("extended the block on 203.0.113.7, which had 1h left, for 1d") == true)
        let shorter = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        #expect(shorter.outcome == .alreadyDone)
        #expect(shorter.detail?.contains("kept") == true)
        let permanent = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: nil)))
        #expect(permanent.outcome == .done)
        let timedAfterPermanent = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        #expect(timedAfterPermanent.detail?.contains("already blocked permanently") == true)
        #expect(await firewall.changes == ["add 203.0.113.7 3600s", "add 203.0.113.7 86400s", "add 203.0.113.7 permanent"])
    }

    @Test("unblocking removes the element; unblocking what is not blocked is already_done")
    func unblock() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let executor = try makeExecutor(journal: directory)
        #expect(await executor.execute(.make(.unblockIP(ip: "203.0.113.7"))).outcome == .alreadyDone)
        _ = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        let result = await executor.execute(.make(.unblockIP(ip: "203.0.113.7")))
        #expect(result.outcome == .done)
        #expect(await firewall.changes == ["add 203.0.113.7 3600s", "remove 203.0.113.7"])
    }

    @Test("a firewall program exiting non-zero is failed with its stderr, never done")
    func runnerFailure() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let failing = RecordingCommandRunner { invocation in
            invocation.arguments.first == "get"
                ? .failure(stderr: "Error: Could not process rule: No such file or directory")
                : .failure(status: 1, stderr: "Error: Could not process rule: Operation not permitted\nadd element inet vigil blocked4 { … }")
        }
        let responders = Executor.Responders(
            blocks: BlockResponder(firewall: NFTablesFirewall(nft: "/usr/sbin/nft", runner: failing), blockGuard: BlockGuard(localAddresses: { [] })),
            sessions: SessionKiller(signaller: signaller),
            power: PowerControl(rebootArgv: nil, shutdownArgv: nil, runner: runner))
        let executor = try Executor(configuration: ResponsesConfiguration(), responders: responders, journalPath: directory.path + "/j")
        let result = await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600)))
        #expect(
            result.outcome
                == .failed(
                    reason:
                        "nft failed (exit status 1: Error: Could not process rule: Operation not permitted / add element inet vigil blocked4 { … })"))
        // A repeat does not retry behind the operator's back; it returns the same failure.
        #expect(await executor.execute(.make(.blockIP(ip: "203.0.113.7", durationSeconds: 3600), id: result.commandId)).outcome == result.outcome)
    }

    @Test("reboot, when enabled, answers before the program runs, then runs the configured argv once")
    func rebootAnswersFirst() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.reboot = true
        let executor = try makeExecutor(configuration, journal: directory)
        let command = ResponseCommand.make(.reboot)
        let result = await executor.execute(command)
        #expect(result.outcome == .done)
        #expect(result.detail == "reboot in 50ms: /bin/true reboot")
        #expect(runner.invocations.isEmpty, "the program ran before the answer was returned")
        try await waitUntil("the reboot ran") { !runner.invocations.isEmpty }
        #expect(runner.invocations.map(\.argv) == [["/bin/true", "reboot"]])
        #expect(await executor.execute(command).outcome == .alreadyDone)
        // A barrier: a new reboot command runs after the same delay any work the repeat could have scheduled would;
        // once it has run, exactly two runs mean the repeat ran nothing.
        #expect(await executor.execute(.make(.reboot)).outcome == .done)
        try await waitUntil("the barrier reboot ran") { runner.invocations.count >= 2 }
        #expect(runner.invocations.count == 2, "the repeated command ran again")
    }

    @Test("a reboot with no program found fails before answering done")
    func rebootWithoutProgram() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = ResponsesConfiguration()
        configuration.reboot = true
        let responders = Executor.Responders(
            blocks: BlockResponder(firewall: firewall, blockGuard: BlockGuard()), sessions: SessionKiller(),
            power: PowerControl(rebootArgv: nil, shutdownArgv: nil, runner: runner))
        let executor = try Executor(configuration: configuration, responders: responders, journalPath: directory.path + "/j")
        #expect(await executor.execute(.make(.reboot)).outcome == .failed(reason: "no reboot program found (set responses.reboot_command)"))
        #expect(runner.invocations.isEmpty)
    }
}
