import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent
@testable import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `upgrade_packages` on a machine whose PID 1 is systemd, with the agent under its installed unit: the scan runs
/// under the unit's sandbox (`apt-get indextargets`, `apt-helper cat-file`, `apt-get -s`), and the upgrade runs as the
/// transient unit `vigil-upgrade-<command id>` that systemd starts outside that sandbox, which no direct-process test
/// can show.
///
/// The container has loopback only, so the sealed commands reach the agent's port through two `socat` processes on
/// the host: one in the container's network namespace (`nsenter --net`) listening on a unix socket in the host's file
/// system, one on the host's loopback forwarding to it.
@Suite("An upgrade under the booted agent's unit", .serialized, .system)
struct BootedUpgradeTests {
    static var skipReason: String? {
        if let reason = BootedUnitTests.skipReason { return reason }
        if !AptSandbox.canRun { return "needs dpkg-deb, apt-get and apt-ftparchive" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") { return "needs socat (the bridge to the container's loopback)" }
        return nil
    }

    static let agentID = "boot-upgrade"
    static let canaryOld = AptSandbox.Package(name: "vigil-canary", version: "1.0-1", architecture: "all")
    /// Its `preinst` takes a few seconds, so the agent can be killed while the upgrade runs.
    static let canaryNew = AptSandbox.Package(
        name: "vigil-canary", version: "1.0-1+deb12u1", architecture: "all", preinst: "#!/bin/sh\nsleep 4")

    @Test(
        "under the installed unit the scan finds the canary; the confirmed upgrade runs as the transient unit vigil-upgrade-<id>, upgrades it, and its end reaches the outbox",
        .enabled(if: skipReason == nil, "\(skipReason ?? "")"), .timeLimit(.minutes(3))
    )
    func upgradeAsTransientUnit() async throws {
        let key = AgentKey.generate()
        let toolchainLibraries = await BootedUnitTests.toolchainLibraryDirectory()
        let container = try await BootedDebian(readOnlyBinds: try await BootedUnitTests.bindsForDebugBinary()) { root in
            try BootedUnitTests.writeFile(root + "/etc/vigil/agent.yml", Self.configuration, mode: 0o600)
            try BootedUnitTests.writeFile(root + "/etc/vigil/agent.env", "VIGIL_AGENT_KEY=\(key.base64)\n", mode: 0o600)
            try BootedUnitTests.writeFile(
                root + "/etc/ld.so.conf.d/swift-toolchain.conf", toolchainLibraries + "\n", mode: 0o644)
            // The container's apt knows only the two local repositories (this is the throw-away overlay, not the image).
            try BootedUnitTests.writeFile(
                root + "/etc/apt/sources.list",
                "deb [trusted=yes] file:/srv/vigil-apt/main ./\ndeb [trusted=yes] file:/srv/vigil-apt/security ./\n", mode: 0o644)
        }
        atTestEnd { await container.shutDown() }
        try await container.run(["ldconfig"])

        // The canary's old version installed by dpkg, the new one offered by the security archive.
        let repositories = container.root + "/srv/vigil-apt"
        try FileManager.default.createDirectory(atPath: repositories, withIntermediateDirectories: true)
        try await AptSandbox.buildRepositories(in: repositories, main: [Self.canaryOld], security: [Self.canaryNew])
        try await Self.check(container, ["apt-get", "-q", "update"])
        try await Self.check(container, ["dpkg", "-i", "/srv/vigil-apt/main/vigil-canary_1.0-1_all.deb"])

        try await Self.check(container, ["/usr/local/bin/sentry-agent", "install-boot", "--config", "/etc/vigil/agent.yml"])
        let firstPID = try await BootedUnitTests.runningMainPID(container)
        let sandbox = try await container.run(["systemctl", "show", "--property=ProtectSystem,NoNewPrivileges,PrivateTmp", "sentry-agent.service"])
        #expect(
            sandbox.output.split(separator: "\n").sorted() == ["NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=strict"], "\(sandbox.output)")

        // The packages detector's first scan, under the unit's sandbox, puts the canary in a security_updates alert.
        let outbox = container.root + "/var/lib/vigil-agent/outbox/outbox.log"
        let pending = try await waitFor("a security_updates alert naming the canary in the outbox", timeout: .seconds(30)) {
            Self.records(outbox).first { $0.contains("\"security_updates\"") && $0.contains("vigil-canary") }
        }
        #expect(pending.contains("1.0-1+deb12u1"), "\(pending)")

        let bridge = try await AgentBridge(container: container, port: 7071)
        defer { bridge.stop() }
        let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: bridge.port), agentID: Self.agentID, key: key)
        let pins = ["vigil-canary=1.0-1+deb12u1"]
        let simulation = try await Self.send(client, .upgradePackages(pins: pins, planHash: nil, simulate: true))
        #expect(simulation.outcome == .done, "\(simulation)")
        let plan = try #require(simulation.plan, "the simulation returns its plan: \(simulation)")
        #expect(plan.upgrades == [PlannedUpgrade(package: "vigil-canary", installed: "1.0-1", candidate: "1.0-1+deb12u1")])

        let command = ResponseCommand.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false))
        let started = try await Self.send(client, command)
        #expect(started.outcome == .started, "\(started)")

        let unit = "vigil-upgrade-\(command.id.uuidString.lowercased()).service"
        // The agent killed mid-upgrade: the unit is systemd's, not the agent's, so it runs on, and the agent systemd
        // restarts (Restart=on-failure, 5 s later) reports its end.
        try await waitUntil("the transient unit running", timeout: .seconds(10), poll: .milliseconds(100)) {
            try await container.run(["systemctl", "is-active", unit]).output.hasPrefix("active")
        }
        try await Self.check(container, ["systemctl", "kill", "--signal=KILL", "sentry-agent.service"])
        let stillRunning = try await container.run(["systemctl", "is-active", unit]).output
        #expect(stillRunning.hasPrefix("active"), "the upgrade outlives the agent: \(stillRunning)")
        #expect(!Self.records(outbox).contains { $0.contains("\"upgrade_finished\"") }, "not reported by the agent that was killed")
        let finished = try await waitFor("the upgrade_finished alert in the outbox", timeout: .seconds(60)) {
            Self.records(outbox).first { $0.contains("\"upgrade_finished\"") && $0.contains(command.id.uuidString) }
        }
        #expect(finished.contains("\"status\":\"done\""), "\(finished)")
        #expect(finished.contains("vigil-canary 1.0-1+deb12u1"), "\(finished)")

        let installed = try await container.run(["dpkg-query", "-W", "-f=${Version}", "vigil-canary"])
        #expect(installed.output == "1.0-1+deb12u1", "\(installed.output)")
        // systemd ran it: the transient unit's start and end are in the journal under its name.
        let journal = try await container.run(["journalctl", "--no-pager", "-o", "cat", "-u", unit]).output
        #expect(journal.contains("Started \(unit)"), "no start of \(unit) in the journal: \(journal)")
        #expect(journal.contains("\(unit): Deactivated successfully"), "\(journal)")
        #expect(journal.contains("apt-get -y -q -o Dpkg::Lock::Timeout=120"), "the unit ran apt with the agent's argument vector: \(journal)")
        let secondPID = try await BootedUnitTests.mainPID(container)
        #expect(secondPID != firstPID && secondPID != 0, "reported by the restarted agent")
        #expect(!FileManager.default.fileExists(atPath: container.root + "/var/lib/vigil-agent/upgrades/\(command.id.uuidString.lowercased()).json"))

        let agentJournal = try await container.run(["journalctl", "--no-pager", "-u", "sentry-agent.service"]).output
        #expect(!agentJournal.contains("Read-only file system"), "\(agentJournal.suffix(3_000))")
        #expect(!agentJournal.contains("Operation not permitted"), "\(agentJournal.suffix(3_000))")
        #expect(!agentJournal.contains("Permission denied"), "\(agentJournal.suffix(3_000))")
        #expect(!agentJournal.contains("security scan failed"), "\(agentJournal.suffix(3_000))")
        print("booted upgrade: journal of \(unit):\n\(journal)")
    }

    static let configuration = """
        agent: {id: \(agentID), state_dir: /var/lib/vigil-agent}
        hub: {url: "http://127.0.0.1:9", key: {env: VIGIL_AGENT_KEY}}
        listen: {host: 127.0.0.1, port: 7071}
        responses: {upgrade_packages: true, restart_services: true}
        detectors:
          ssh: {enabled: false}
          http404: {enabled: false}
          cpu: {enabled: false}
          listeners: {enabled: false}
          identity: {enabled: false}
          packages: {enabled: true}

        """

    /// The outbox's records (the hub is unreachable on purpose, so every alert stays there).
    static func records(_ outbox: String) -> [String] {
        String(decoding: FileManager.default.contents(atPath: outbox) ?? Data(), as: UTF8.self).components(separatedBy: "{\"actions\":")
    }

    static func send(_ client: SealedClient, _ action: ResponseAction) async throws -> ResponseResult {
        try await send(client, .make(action))
    }

    static func send(_ client: SealedClient, _ command: ResponseCommand) async throws -> ResponseResult {
        let reply = try await client.post(ResponseEndpoint.responsePath, body: try WireCoding.encode(command))
        return try WireCoding.decode(ResponseResult.self, from: reply)
    }

    /// Runs `argv` in the container and fails the test with its output unless it exits 0.
    static func check(_ container: BootedDebian, _ argv: [String]) async throws {
        let result = try await container.run(argv)
        guard result.status == 0 else { throw TestFailure("\(argv.joined(separator: " ")) in the container: \(result.output)") }
    }
}

/// A host loopback port that reaches a port on the container's loopback: `socat` in the container's network namespace
/// (but the host's file system) listens on a unix socket, and a second `socat` on the host forwards to it.
struct AgentBridge {
    let port: UInt16
    private let inner: SpawnedChild
    private let outer: SpawnedChild
    private let directory: TemporaryDirectory

    init(container: BootedDebian, port containerPort: UInt16) async throws {
        directory = try TemporaryDirectory("vigil-bridge")
        let socket = directory.file("agent.sock")
        inner = try ProgramSpawner.spawn([
            "/usr/bin/nsenter", "--net=/proc/\(container.initPID)/ns/net", "/usr/bin/socat", "UNIX-LISTEN:\(socket),fork",
            "TCP:127.0.0.1:\(containerPort)",
        ])
        port = try FreePort.loopback()
        outer = try ProgramSpawner.spawn(["/usr/bin/socat", "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", "UNIX-CONNECT:\(socket)"])
        let port = port
        try await waitUntil("the bridge listening", timeout: .seconds(10)) {
            FileManager.default.fileExists(atPath: socket) && Self.accepts(port)
        }
    }

    func stop() {
        _ = outer.stop(grace: .milliseconds(200))
        _ = inner.stop(grace: .milliseconds(200))
        directory.remove()
    }

    /// True when a TCP connect to 127.0.0.1:`port` succeeds.
    private static func accepts(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
