import Foundation
import Testing
import VigilTestSupport

@testable import Shared

/// The agent deployed as the README says (`install-boot` on a machine whose PID 1 is systemd), then run by a real
/// systemd under the unit's sandbox: the capability bounding set, `ProtectSystem=strict`, the state directory systemd
/// creates. The unit file is checked line by line elsewhere; this suite shows that the program actually works inside
/// it, which no text check can.
@Suite("The agent under its systemd unit, booted", .serialized, .system)
struct BootedUnitTests {
    static var skipReason: String? {
        if let reason = BootedDebian.unavailableReason { return reason }
        if FollowerCrashTests.agentBinary == nil { return "needs the sentry-agent binary (swift build --build-tests)" }
        return nil
    }

    @Test(
        "install-boot enables the unit; under its sandbox the agent listens, names a new listener's process and unit, keeps exactly its capabilities, and is restarted after a crash",
        .enabled(if: skipReason == nil, "\(skipReason ?? "")")
    )
    func agentUnderItsUnit() async throws {
        let key = AgentKey.generate().base64
        let toolchainLibraries = await Self.toolchainLibraryDirectory()
        let container = try await BootedDebian(readOnlyBinds: try await Self.bindsForDebugBinary()) { root in
            try Self.writeFile(root + "/etc/vigil/agent.yml", Self.configuration, mode: 0o600)
            try Self.writeFile(root + "/etc/vigil/agent.env", "VIGIL_AGENT_KEY=\(key)\n", mode: 0o600)
            // The test's build is linked against the toolchain's shared runtime, bound read-only at the same path.
            try Self.writeFile(root + "/etc/ld.so.conf.d/swift-toolchain.conf", toolchainLibraries + "\n", mode: 0o644)
        }
        atTestEnd { await container.shutDown() }
        try await container.run(["ldconfig"])

        let install = try await container.run(["/usr/local/bin/sentry-agent", "install-boot", "--config", "/etc/vigil/agent.yml"])
        #expect(install.status == 0, "install-boot: \(install.output)")
        let firstPID = try await Self.runningMainPID(container)
        try await waitUntil("the agent listening on its response port", timeout: .seconds(30)) {
            try await container.run(["ss", "-Htln", "sport = :7071"]).output.contains("127.0.0.1:7071")
        }

        // The capabilities systemd gave the process are exactly the unit's bounding set: nothing more.
        let status = try await container.run(["cat", "/proc/\(firstPID)/status"]).output
        let effective = try #require(status.split(separator: "\n").first { $0.hasPrefix("CapEff:") })
        let expected: UInt64 = [12, 5, 2, 19].reduce(0) { $0 | (1 << $1) }  // NET_ADMIN, KILL, DAC_READ_SEARCH, SYS_PTRACE
        #expect(UInt64(effective.split(separator: "\t").last ?? "", radix: 16) == expected, "\(effective)")

        // A listener opened after the baseline by a root process in its own unit: the alert names the program and
        // the unit, which needs the /proc/<pid>/fd walk to work inside the sandbox.
        let probe = try await container.run([
            "systemd-run", "--unit=vigil-probe", "--collect", "/usr/bin/socat", "TCP-LISTEN:7788,reuseaddr,fork", "EXEC:/bin/true",
        ])
        #expect(probe.status == 0, "\(probe.output)")
        // The hub is unreachable on purpose: every alert stays in the outbox, one framed JSON record each.
        let outbox = container.root + "/var/lib/vigil-agent/outbox/outbox.log"
        let alert = try await waitFor("a new_listener alert for port 7788 in the outbox", timeout: .seconds(30)) { () -> String? in
            let text = String(decoding: (FileManager.default.contents(atPath: outbox) ?? Data()), as: UTF8.self)
            return text.components(separatedBy: "{\"actions\":").first { $0.contains("\"new_listener\"") && $0.contains("7788") }
        }
        #expect(alert.contains("socat"), "\(alert)")
        #expect(alert.contains("vigil-probe.service"), "\(alert)")

        // Restart=on-failure: a killed agent comes back by itself.
        try await container.run(["systemctl", "kill", "--signal=KILL", "sentry-agent.service"])
        let secondPID = try await waitFor("the agent restarted by systemd", timeout: .seconds(30)) { () -> Int? in
            let pid = try await Self.mainPID(container)
            return pid != 0 && pid != firstPID ? pid : nil
        }
        #expect(secondPID != firstPID)
        let journal = try await container.run(["journalctl", "--no-pager", "-u", "sentry-agent.service"]).output
        #expect(!journal.contains("Read-only file system"), "\(journal.suffix(3_000))")
        #expect(!journal.contains("Operation not permitted"), "\(journal.suffix(3_000))")
    }

    static let configuration = """
        agent: {id: boot-test, state_dir: /var/lib/vigil-agent}
        hub: {url: "http://127.0.0.1:9", key: {env: VIGIL_AGENT_KEY}}
        listen: {host: 127.0.0.1, port: 7071}
        responses: {block_ip: true, kill_session: true}
        detectors:
          ssh: {enabled: false}
          http404: {enabled: false}
          cpu: {enabled: true}
          listeners: {enabled: true}

        """

    /// The directory holding the toolchain's shared Swift runtime the debug build links against.
    static func toolchainLibraryDirectory() async -> String {
        // `ldd sentry-agent`: the binary is the last argument.
        let ldd = (try? await AgentCLI.run([], prefix: ["/usr/bin/ldd"]).output) ?? ""
        let library = ldd.split(separator: "\n").first { $0.contains("libswiftCore.so") }
        let path = library?.split(separator: " ").first { $0.hasPrefix("/") }.map(String.init) ?? "/usr/lib/swift/linux/libswiftCore.so"
        return (path as NSString).deletingLastPathComponent
    }

    /// The agent at the path the unit runs, and the toolchain (`<toolchain>/usr/lib/swift/linux`) at its own path
    /// unless it is the system's own `/usr`, which the container must keep.
    static func bindsForDebugBinary() async throws -> [(String, String)] {
        let agent = try #require(FollowerCrashTests.agentBinary)
        let toolchain = URL(fileURLWithPath: await toolchainLibraryDirectory()).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let runtime = toolchain == "/" || toolchain.isEmpty ? [] : [(toolchain, toolchain)]
        return [(agent, "/usr/local/bin/sentry-agent")] + runtime
    }

    static func mainPID(_ container: BootedDebian) async throws -> Int {
        let shown = try await container.run(["systemctl", "show", "--property=MainPID", "--value", "sentry-agent.service"]).output
        return Int(shown.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    static func runningMainPID(_ container: BootedDebian) async throws -> Int {
        try await waitFor("sentry-agent.service active", timeout: .seconds(30)) { () -> Int? in
            let active = try await container.run(["systemctl", "is-active", "sentry-agent.service"]).output
            guard active.hasPrefix("active") else { return nil }
            let pid = try await mainPID(container)
            return pid == 0 ? nil : pid
        }
    }

    static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
    }
}
