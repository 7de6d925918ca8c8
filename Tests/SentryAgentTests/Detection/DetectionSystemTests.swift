import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Real peers on loopback: nginx writing a real access log, sshd writing a real log, each followed by the agent's
/// `DetectionService` with a recording sink. Root is needed to run them; traffic stays on 127.0.0.1.
@Suite("Detection against real nginx and sshd", .serialized, .system)
struct DetectionSystemTests {
    /// True once something accepts TCP connections on 127.0.0.1:`port`.
    static func waitForListener(port: UInt16, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(descriptor)
            if connected { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    static func run(_ program: String, _ arguments: [String], input: String? = nil) async throws -> (status: Int32, output: String) {
        let run = try await ProgramRun.run([program] + arguments, input: input ?? "", mergingErrors: true)
        return (run.status, run.output)
    }

    /// A child started with `posix_spawn` and reaped with `waitpid` (Foundation's `Process` misses the exit of
    /// `sshpass`, which leaves a session and a pty behind); output goes to /dev/null.
    final class Spawned {
        let pid: pid_t
        private var reaped = false

        init(_ argv: [String]) throws {
            var arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { arguments.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for descriptor: Int32 in [0, 1, 2] {
                posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
            }
            var pid: pid_t = 0
            let status = posix_spawn(&pid, argv[0], &actions, nil, &arguments, environ)
            guard status == 0 else { throw TestFailure("cannot start \(argv[0]): \(status)") }
            self.pid = pid
        }

        /// Waits up to `timeout` for the exit; kills the child if it is still running then. Returns the exit code.
        @discardableResult
        func wait(timeout: Duration = .seconds(20)) async -> Int32 {
            let deadline = ContinuousClock.now + timeout
            var status: Int32 = 0
            while ContinuousClock.now < deadline {
                if waitpid(pid, &status, WNOHANG) == pid {
                    reaped = true
                    return (status >> 8) & 0xFF
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            stop()
            return -1
        }

        /// SIGTERM, then reap.
        func stop() {
            guard !reaped else { return }
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            reaped = true
        }

        deinit {
            stop()
        }
    }

    /// Runs `DetectionService` until the returned task is cancelled.
    static func startService(_ configuration: DetectorsConfiguration, state: String, sink: RecordingSink) -> Task<Void, Never> {
        let service = DetectionService(
            configuration: configuration, stateDirectory: state,
            factory: AlertFactory(agentID: "web-1", hostname: "web-1", responses: ResponsesConfiguration()), sink: sink,
            logger: Logger(label: "system-test"))
        return Task { try? await service.run() }
    }

    /// Waits until the follower has written its first checkpoint (it holds its place in the file), and fails the test
    /// if it never does: going on would write lines it skips. A loaded machine (the whole suite on two cores) has
    /// taken over 10 s to start the service.
    static func waitForCheckpoint(_ path: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: path), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try #require(FileManager.default.fileExists(atPath: path), "the follower wrote no checkpoint (\(path)) within \(timeout)")
    }

    static func waitForAlert(_ sink: RecordingSink, timeout: Duration = .seconds(15), where match: (Alert) -> Bool) async -> Alert? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let alert = sink.alerts.first(where: match) { return alert }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }

    static var canRunNginx: Bool { SystemRequirements.isRoot && SystemRequirements.has("nginx") && SystemRequirements.has("curl") }
    static var canRunSSHD: Bool {
        SystemRequirements.isRoot && SystemRequirements.has("sshd") && SystemRequirements.has("sshpass") && SystemRequirements.has("ssh")
            && SystemRequirements.has("useradd")
    }

    @Test(
        "a real nginx answers a burst of 404s from curl; the followed access log raises http_404_burst for 127.0.0.1",
        .enabled(if: canRunNginx, "needs root, nginx and curl (.ci/run installs them)"))
    func nginxBurst() async throws {
        let directory = try TemporaryDirectory("vigil-nginx")
        let port = try FreePort.loopback()
        for sub in ["www", "tmp"] { try FileManager.default.createDirectory(atPath: directory.file(sub), withIntermediateDirectories: true) }
        // nginx's workers run as nobody: the document root must be reachable, or every request is a 403.
        chmod(directory.path, 0o755)
        chmod(directory.file("www"), 0o755)
        let accessLog = directory.file("access.log")
        try """
        worker_processes 1;
        pid \(directory.file("nginx.pid"));
        error_log \(directory.file("error.log"));
        events { worker_connections 64; }
        http {
            access_log \(accessLog) combined;
            client_body_temp_path \(directory.file("tmp/body"));
            proxy_temp_path \(directory.file("tmp/proxy"));
            fastcgi_temp_path \(directory.file("tmp/fastcgi"));
            uwsgi_temp_path \(directory.file("tmp/uwsgi"));
            scgi_temp_path \(directory.file("tmp/scgi"));
            server { listen 127.0.0.1:\(port); root \(directory.file("www")); }
        }
        """.write(toFile: directory.file("nginx.conf"), atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: try #require(SystemRequirements.path(of: "nginx")))
        nginx.arguments = ["-p", directory.path, "-c", directory.file("nginx.conf"), "-e", directory.file("error.log"), "-g", "daemon off;"]
        try nginx.run()
        defer {
            nginx.terminate()
            nginx.waitUntilExit()
        }
        #expect(
            await Self.waitForListener(port: port),
            "nginx did not start: \((try? String(contentsOfFile: directory.file("error.log"), encoding: .utf8)) ?? "")")

        var configuration = DetectorsConfiguration()
        configuration.ssh.sessions = false
        configuration.ssh.bruteForce = false
        configuration.cpu.enabled = false
        configuration.listeners.enabled = false
        configuration.identity.enabled = false
        configuration.http404.paths = [accessLog]
        let sink = RecordingSink()
        let service = Self.startService(configuration, state: directory.file("state"), sink: sink)
        defer { service.cancel() }
        // The follower starts at the end of an existing file: wait for its checkpoint before making requests.
        try await Self.waitForCheckpoint(directory.file("state/positions/http404.json"))

        let curl = try #require(SystemRequirements.path(of: "curl"))
        let urls = (1...25).map { "http://127.0.0.1:\(port)/scan/\($0).php" }
        // One curl, one keep-alive connection, each body discarded (`-o` applies to the URL after it).
        let result = try await Self.run(curl, ["-s", "-w", "%{http_code} "] + urls.flatMap { ["-o", "/dev/null", $0] })
        #expect(result.output.components(separatedBy: "404").count - 1 == 25, "curl: \(result.output)")

        let alert = await Self.waitForAlert(sink) { $0.kind == .http404Burst }
        let found = try #require(
            alert, "no http_404_burst; access log: \((try? String(contentsOfFile: accessLog, encoding: .utf8))?.suffix(300) ?? "")")
        guard case .http404(let evidence) = found.subject else {
            Issue.record("unexpected subject \(found.subject)")
            return
        }
        #expect(found.severity == .warning)
        #expect(evidence.ip == "127.0.0.1")
        #expect(evidence.count == 20)
        #expect(evidence.distinctPaths == 20)
        #expect(found.actions == [.ignore, .blockIP1h, .blockIP24h, .blockIPPermanent])
    }

    @Test(
        "a real sshd on loopback, a real password login: ssh_session with the user and the live session process",
        .enabled(if: canRunSSHD, "needs root, sshd, ssh and sshpass (.ci/run installs them)"))
    func sshLogin() async throws {
        let directory = try TemporaryDirectory("vigil-sshd")
        let port = try FreePort.loopback()
        let user = "vigil\(UInt32.random(in: 10_000...99_999))"
        let password = "Pw-\(UUID().uuidString.prefix(12))"
        _ = try await Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory.file("host_key")])
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let sshLog = directory.file("sshd.log")
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(directory.file("host_key"))
        PidFile \(directory.file("sshd.pid"))
        PasswordAuthentication yes
        KbdInteractiveAuthentication no
        UsePAM yes
        AllowUsers \(user)
        LogLevel INFO
        """.write(toFile: directory.file("sshd_config"), atomically: true, encoding: .utf8)
        let useradd = try await Self.run(try #require(SystemRequirements.path(of: "useradd")), ["-M", "-s", "/bin/sh", user])
        #expect(useradd.status == 0, "useradd: \(useradd.output)")
        // A defer cannot await: the short userdel is waited for here.
        defer { _ = try? ProgramSpawner.spawn([SystemRequirements.path(of: "userdel") ?? "/usr/sbin/userdel", user]).waitForExit() }
        _ = try await Self.run(try #require(SystemRequirements.path(of: "chpasswd")), [], input: "\(user):\(password)\n")
        // sshd writes its own log file (-E): lines without a syslog header or pid, so the session process is found
        // from /proc by the connection's address and port.
        _ = FileManager.default.createFile(atPath: sshLog, contents: nil)
        let sshd = try Spawned([try #require(SystemRequirements.path(of: "sshd")), "-D", "-f", directory.file("sshd_config"), "-E", sshLog])
        defer { sshd.stop() }
        #expect(await Self.waitForListener(port: port), "sshd did not start: \((try? String(contentsOfFile: sshLog, encoding: .utf8)) ?? "")")

        var configuration = DetectorsConfiguration()
        configuration.cpu.enabled = false
        configuration.listeners.enabled = false
        configuration.identity.enabled = false
        configuration.http404.enabled = false
        configuration.ssh.source = .file
        configuration.ssh.paths = [sshLog]
        let sink = RecordingSink()
        let service = Self.startService(configuration, state: directory.file("state"), sink: sink)
        defer { service.cancel() }
        // As for nginx: lines written before the follower holds its place would be skipped.
        try await Self.waitForCheckpoint(directory.file("state/positions/ssh.json"))

        let sshpass = try #require(SystemRequirements.path(of: "sshpass"))
        let sshOptions = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-p", "\(port)"]
        // Three wrong passwords: each is a Failed password and a close during authentication, six in all.
        for _ in 0..<3 {
            // Output to /dev/null, not a pipe: ssh outlives sshpass for a moment and would hold a pipe open.
            try await Spawned([sshpass, "-p", "wrong-\(password)", "ssh"] + sshOptions + ["\(user)@127.0.0.1", "true"]).wait()
        }
        let login = try Spawned([sshpass, "-p", password, "ssh"] + sshOptions + ["\(user)@127.0.0.1", "sleep 5"])
        defer { login.stop() }

        let bruteForce = await Self.waitForAlert(sink) { $0.kind == .sshBruteForce }
        if case .sshBruteForce(let evidence)? = bruteForce?.subject {
            #expect(evidence.ip == "127.0.0.1" && evidence.users == [user] && evidence.attempts == 6)
        } else {
            Issue.record("no ssh_bruteforce after three failed logins; log: \((try? String(contentsOfFile: sshLog, encoding: .utf8)) ?? "")")
        }

        let alert = await Self.waitForAlert(sink) { $0.kind == .sshSession }
        let session = try #require(alert, "no ssh_session; log: \((try? String(contentsOfFile: sshLog, encoding: .utf8)) ?? "")")
        guard case .sshSession(let evidence) = session.subject else {
            Issue.record("unexpected subject")
            return
        }
        #expect(evidence.user == user)
        #expect(evidence.ip == "127.0.0.1")
        #expect(evidence.method == "password")
        #expect(session.severity == .warning)
        // The pid is the live privileged session process: `sshd: USER [priv]`, a child of the listener, with the
        // start time /proc reports for it.
        let cmdline = String(
            decoding: (FileManager.default.contents(atPath: "/proc/\(evidence.pid)/cmdline") ?? Data()).map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        #expect(cmdline.contains("\(user) [priv]"), "pid \(evidence.pid) is \(cmdline)")
        let stat = try #require(ProcFileSystem().processTicks(pid: evidence.pid))
        #expect(stat.parentPID == sshd.pid)
        #expect(evidence.pidStartTime == stat.startTime)
        #expect(session.actions.contains(.killSession))
    }
}
