import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The answers to a new listener on real kernels: Block port inside network namespaces the test creates (through the
/// sealed `/response` endpoint), Kill process on a real socat, and Accept across an agent restart on real sockets.
@Suite("Responses to new listeners", .serialized, .system)
struct ListenerResponseSystemTests {
    static let canUseNamespaces = SystemRequirements.canUseNetworkNamespaces && SystemRequirements.has("nft") && SystemRequirements.has("socat")
    static let canRunSocat = SystemRequirements.isRoot && SystemRequirements.has("socat")

    /// A TCP connect to 127.0.0.1:`port` from inside the agent's namespace.
    static func loopbackConnect(_ pair: NetworkNamespacePair) async -> Bool {
        let socat = SystemRequirements.path(of: "socat") ?? "socat"
        let output = await pair.agentRunner.run(
            ProgramInvocation(socat, ["-u", "/dev/null", "TCP4:127.0.0.1:\(pair.port),connect-timeout=0.6"]))
        return output.succeeded
    }

    @Test(
        "Block port: connects from another namespace fail, loopback and never_block still connect; Unblock restores it",
        .enabled(if: canUseNamespaces, "needs root, ip netns, nft and socat"))
    func blockAndUnblockPort() async throws {
        try await NetworkNamespacePair.with { pair in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            var configuration = ResponsesConfiguration()
            // The client's IPv6 address is exempt: it must still connect while IPv4 from the same client is dropped.
            configuration.neverBlock = [IPNetwork(host: pair.clientIPv6)]
            let responders = Executor.Responders.make(
                configuration: configuration, hubAddresses: [], dryRun: false, runner: pair.agentRunner,
                localAddresses: { [pair.agentIPv4, pair.agentIPv6] }, protectedPorts: (7443, 7444), logger: Logger(label: "test"))
            try await AgentUnderTest.run(configuration: configuration, responders: responders, journalDirectory: directory.path) { agent in
                #expect(await pair.connect(to: pair.agentIPv4) == .connected)

                let block = try await agent.send(.make(.blockPort(transport: "tcp", port: Int(pair.port))))
                #expect(block.outcome == .done, "\(block)")
                #expect(block.detail?.contains("dropped tcp/\(pair.port) from everywhere but loopback and \(pair.clientIPv6)/128") == true)
                #expect(await pair.connect(to: pair.agentIPv4) == .timedOut)
                #expect(await Self.loopbackConnect(pair), "loopback must still reach a blocked port")
                #expect(await pair.connect(to: pair.agentIPv6) == .connected, "a never_block source must still reach it")
                let ruleset = await pair.ruleset()
                #expect(ruleset.contains("set ports_tcp") && ruleset.contains("elements = { \(pair.port) }"), "\(ruleset)")

                let again = try await agent.send(.make(.blockPort(transport: "tcp", port: Int(pair.port))))
                #expect(again.outcome == .alreadyDone, "\(again)")

                let unblock = try await agent.send(.make(.unblockPort(transport: "tcp", port: Int(pair.port))))
                #expect(unblock.outcome == .done, "\(unblock)")
                #expect(await pair.connect(to: pair.agentIPv4) == .connected)
                let twice = try await agent.send(.make(.unblockPort(transport: "tcp", port: Int(pair.port))))
                #expect(twice.outcome == .alreadyDone, "\(twice)")
            }
        }
    }

    @Test(
        "Block port refuses the agent's own port, the hub's, sshd's effective port and malformed ports",
        .enabled(if: canUseNamespaces, "needs root, ip netns, nft and socat"))
    func guardedPortsAreRefused() async throws {
        try await NetworkNamespacePair.with { pair in
            let responders = Executor.Responders.make(
                configuration: ResponsesConfiguration(), hubAddresses: [], dryRun: false, runner: pair.agentRunner,
                localAddresses: { [pair.agentIPv4, pair.agentIPv6] }, protectedPorts: (7443, 7444), logger: Logger(label: "test"))
            let ports = responders.ports
            #expect(await ports.block(transport: "tcp", port: 7443) == .refused("port 7443 is the agent's own listen port"))
            #expect(await ports.block(transport: "tcp", port: 7444) == .refused("port 7444 is the hub's port"))
            // sshd's port as sshd itself reports it (22 when it cannot tell).
            var sshdPorts: Set<UInt16> = [22]
            if let sshd = SystemRequirements.path(of: "sshd") {
                let output = await ProcessCommandRunner().run(ProgramInvocation(sshd, ["-T"]))
                let reported = PortGuard.ports(inEffectiveConfiguration: String(decoding: output.standardOutput, as: UTF8.self))
                if output.succeeded, !reported.isEmpty { sshdPorts = reported }
            }
            for port in sshdPorts {
                let report = await ports.block(transport: "tcp", port: Int(port))
                guard case .refused(let reason) = report.outcome else {
                    Issue.record("sshd's port \(port) was not refused: \(report)")
                    continue
                }
                #expect(reason.hasPrefix("port \(port) is sshd's port"), "\(reason)")
            }
            #expect(await ports.block(transport: "icmp", port: 80) == .refused("\"icmp\" is not tcp or udp"))
            #expect(await ports.block(transport: "tcp", port: 0) == .refused("0 is not a port (1–65535)"))
            #expect(await ports.block(transport: "tcp", port: 70000) == .refused("70000 is not a port (1–65535)"))
            #expect(await ports.unblock(transport: "udp", port: -1) == .refused("-1 is not a port (1–65535)"))
            // Nothing above reached the kernel.
            #expect(!(await pair.ruleset()).contains("ports_tcp"))
        }
    }

    /// Starts socat listening on 127.0.0.1:`port`.
    static func startSocat(port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SystemRequirements.path(of: "socat")!)
        process.arguments = ["TCP4-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", "OPEN:/dev/null"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(
        "Kill process ends a real listener checked by pid and start time, and refuses a pid whose start time differs",
        .enabled(if: canRunSocat, "needs root and socat"))
    func killListenerProcess() async throws {
        let port = Int(try FreePort.loopback())
        let process = try Self.startSocat(port: port)
        defer { kill(process.processIdentifier, SIGKILL) }
        try await ListenerDetectorSystemTests.waitUntilListening(port: port)
        let pid = process.processIdentifier
        let status = try #require(ProcessTable().status(of: pid))
        let responder = ListenerResponder(killer: ProcessKiller(grace: .milliseconds(500)))

        // The pid now names a process that started at another time: what a reused pid looks like.
        let reused = await responder.kill(pid: pid, startTime: status.startTime + 1, listener: nil)
        #expect(reused == .refused(ListenerResponder.endedOrReused))
        #expect(process.isRunning, "a refused kill must not signal")

        let report = await responder.kill(pid: pid, startTime: status.startTime, listener: nil)
        // SIGTERM or SIGKILL: a child of the test runner may inherit SIGTERM blocked; either way it is the checked process.
        #expect(report.outcome == .done && report.detail?.hasPrefix("ended socat pid \(pid) with SIG") == true, "\(report)")
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // The same pid and start time once the process is gone.
        #expect(await responder.kill(pid: pid, startTime: status.startTime, listener: nil) == .refused(ListenerResponder.endedOrReused))
        #expect(await responder.kill(pid: 1, startTime: 1, listener: nil) == .refused("pid 1 is not a listener's process"))
    }

    @Test(
        "Accept holds across an agent restart: the accepted listener coming back raises nothing, a new one alerts",
        .enabled(if: canRunSocat, "needs root and socat"))
    func acceptSurvivesRestart() async throws {
        let state = try TemporaryDirectory("vigil-listener-accept")
        let store = ListenerBaselineStore(stateDirectory: state.path)
        var monitor = ListenerDetectorSystemTests.monitor(in: state)
        let port = Int(try FreePort.loopback())
        let first = try Self.startSocat(port: port)
        defer { kill(first.processIdentifier, SIGKILL) }
        let alert = try await ListenerDetectorSystemTests.waitForAlert(&monitor, pid: first.processIdentifier)
        guard case .listener(let evidence) = alert.subject, let key = evidence.identity else { throw TestFailure("no identity in \(alert.subject)") }

        let responder = ListenerResponder(decisions: monitor.decisions)
        let accepted = responder.accept(key)
        #expect(accepted.outcome == .done, "\(accepted)")
        // Killed through the responder: that forgets a reported listener, so only Accept can keep it quiet now.
        let status = try #require(ProcessTable().status(of: first.processIdentifier))
        #expect(await responder.kill(pid: first.processIdentifier, startTime: status.startTime, listener: key).outcome == .done)

        // The agent restarts: a new monitor reads the file.
        var restarted = ListenerMonitor(
            scanner: ListenerScanner(), configuration: .init(ephemeralPorts: ListenerIdentity.ephemeralPorts()), store: store,
            logger: Logger(label: "test"))
        let again = try Self.startSocat(port: port)
        defer { kill(again.processIdentifier, SIGKILL) }
        try await ListenerDetectorSystemTests.waitUntilListening(port: port)
        let controlPort = Int(try FreePort.loopback())
        let control = Process()
        control.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        control.arguments = ["-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(controlPort))); s.listen(); time.sleep(60)"]
        control.standardOutput = FileHandle.nullDevice
        control.standardError = FileHandle.nullDevice
        try control.run()
        defer { kill(control.processIdentifier, SIGKILL) }

        // Polls until the control listener alerts (the positive signal: the accepted one was listening all along).
        var seen: [Detection] = []
        for round in 1...150 {
            let detections = restarted.tick(time: Int64(round))
            seen += detections
            if detections.contains(where: { ListenerDetectorSystemTests.pid(of: $0) == control.processIdentifier }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(seen.contains { ListenerDetectorSystemTests.pid(of: $0) == control.processIdentifier }, "the control listener never alerted")
        #expect(!seen.contains { ListenerDetectorSystemTests.pid(of: $0) == again.processIdentifier }, "the accepted listener alerted again")
        #expect(try store.load()?.accepted.contains(try #require(ListenerIdentity(key))) == true)
    }
}
