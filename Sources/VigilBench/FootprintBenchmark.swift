import ArgumentParser
import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil-bench footprint`: what each program costs a server, measured on the binaries as shipped.
///
/// Give it the packaged binaries (`scripts/package`, or any build) by path, as many as you want compared; for each
/// agent: file size, time from `exec` to accepting connections on its listen port, and resident memory (VmRSS, with
/// its anonymous and file-backed parts) after `--idle` seconds with every detector on and responses in dry run, then
/// again once `--addresses` distinct clients' 404s were appended to its access log and read. Hubs get size, start time
/// and idle memory. Issue 13's targets: agent ≤ 20 MB, idle ≤ 10 MiB, ≤ 12 MiB with 10,000 addresses, start ≤ 20 ms.
struct FootprintBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "footprint",
        abstract: "Size, start-to-listening time and resident memory of sentry-agent (and bothub) binaries, as a table."
    )

    @Option(name: .customLong("agent"), help: "A sentry-agent binary to measure (repeat to compare several).")
    var agents: [String] = []

    @Option(name: .customLong("hub"), help: "A bothub binary to measure (repeat to compare several).")
    var hubs: [String] = []

    @Option(help: "Seconds each program runs idle before its memory is read.")
    var idle = 20

    @Option(help: "Distinct addresses fed to each agent's 404 detector for the loaded figure.")
    var addresses = 10_000

    func validate() throws {
        guard !agents.isEmpty || !hubs.isEmpty else { throw ValidationError("name at least one binary with --agent PATH or --hub PATH") }
        for path in agents + hubs where !FileManager.default.isExecutableFile(atPath: path) {
            throw ValidationError("\(path) is not an executable file")
        }
        guard idle >= 0, addresses >= 0 else { throw ValidationError("--idle and --addresses must not be negative") }
    }

    func run() throws {
        let directory = try DetectionBenchmarkSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rows = [
            "| binary | size | start → listening | idle VmRSS (anon + file) | with \(addresses) addresses VmRSS (anon + file) |",
            "|---|---|---|---|---|",
        ]
        for (index, agent) in agents.enumerated() {
            let figures = try AgentFootprint.measure(binary: agent, directory: "\(directory)/agent-\(index)", idle: idle, addresses: addresses)
            rows.append(figures.row)
            print(figures.row)
        }
        for (index, hub) in hubs.enumerated() {
            let figures = try HubFootprint.measure(binary: hub, directory: "\(directory)/hub-\(index)", idle: idle)
            rows.append(figures.row)
            print(figures.row)
        }
        print("\nFootprint (every detector on, responses in dry run, \(idle) s idle; \(ProcessInfo.processInfo.hostName))")
        print(rows.joined(separator: "\n"))
    }
}

/// One program's figures; memory in KiB.
struct Footprint {
    struct Memory {
        var resident = 0
        var anonymous = 0
        var fileBacked = 0

        /// Reads `/proc/<pid>/status`.
        init(pid: pid_t) {
            resident = DetectionBenchmarkSupport.residentKiB(pid: pid, field: "VmRSS:")
            anonymous = DetectionBenchmarkSupport.residentKiB(pid: pid, field: "RssAnon:")
            fileBacked = DetectionBenchmarkSupport.residentKiB(pid: pid, field: "RssFile:")
        }

        var text: String {
            let mib = DetectionBenchmarkSupport.mebibytes
            return "\(mib(resident)) (\(mib(anonymous)) + \(mib(fileBacked)))"
        }
    }

    var binary: String
    var bytes: Int64
    var startup: Duration
    var idle: Memory
    var loaded: Memory?

    var row: String {
        let size = String(format: "%.1f MiB", Double(bytes) / 1_048_576)
        let start = String(format: "%.1f ms", DetectionBenchmarkSupport.seconds(startup) * 1000)
        return "| \(binary) | \(size) | \(start) | \(idle.text) | \(loaded?.text ?? "–") |"
    }

    static func size(of path: String) -> Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : 0
    }

    /// Starts `argv` and returns it with the time until `port` on loopback accepts a connection.
    static func startListening(_ argv: [String], port: UInt16, timeout: Duration = .seconds(20)) throws -> (
        DetectionBenchmarkSupport.PipedChild, Duration
    ) {
        let started = ContinuousClock.now
        let child = try DetectionBenchmarkSupport.PipedChild(argv)
        while ContinuousClock.now - started < timeout {
            if accepts(port: port) { return (child, ContinuousClock.now - started) }
            usleep(200)
        }
        child.stop()
        throw BenchError("\(argv[0]) did not listen on 127.0.0.1:\(port) within \(timeout)")
    }

    /// One connect attempt to 127.0.0.1:`port`.
    static func accepts(port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// `sentry-agent run --dry-run` with every detector on (SSH from a file, CPU, 404s), a hub that never answers.
enum AgentFootprint {
    static func measure(binary: String, directory: String, idle: Int, addresses: Int) throws -> Footprint {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let access = directory + "/access.log"
        let auth = directory + "/auth.log"
        let state = directory + "/state"
        _ = FileManager.default.createFile(atPath: access, contents: nil)
        _ = FileManager.default.createFile(atPath: auth, contents: nil)
        let port = try HubProcess.freePort()
        let config = directory + "/agent.yml"
        try """
        agent: {id: footprint, state_dir: \(state)}
        hub: {url: "http://127.0.0.1:9", key: "\(AgentKey.generate().base64)"}
        listen: {host: 127.0.0.1, port: \(port)}
        detectors:
          ssh: {enabled: true, sessions: true, brute_force: true, source: file, paths: [\(auth)]}
          cpu: {enabled: true}
          http404: {enabled: true, paths: [\(access)]}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let (child, startup) = try Footprint.startListening([binary, "run", "--config", config, "--dry-run"], port: port)
        defer { child.stop() }
        sleep(UInt32(idle))
        let idleMemory = Footprint.Memory(pid: child.pid)
        var loaded: Footprint.Memory?
        if addresses > 0 {
            var text = ""
            for index in 0..<addresses {
                text +=
                    "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256) - - [22/Nov/2025:02:51:07 +0000] "
                    + "\"GET /p\(index) HTTP/1.1\" 404 1 \"-\" \"b\"\n"
            }
            let appender = try FileHandle(forWritingAtPath: access).unwrap(or: "cannot open \(access)")
            try appender.seekToEnd()
            try appender.write(contentsOf: Data(text.utf8))
            try appender.close()
            // Read once the follower's checkpoint has reached the end of the file.
            let checkpoint = state + "/positions/http404.json"
            let size = text.utf8.count
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let data = FileManager.default.contents(atPath: checkpoint), String(decoding: data, as: UTF8.self).contains("\"offset\":\(size)") {
                    break
                }
                usleep(50_000)
            }
            guard ContinuousClock.now < deadline else { throw BenchError("\(binary) did not read the \(addresses) addresses within 60 s") }
            sleep(2)
            loaded = Footprint.Memory(pid: child.pid)
        }
        return Footprint(binary: binary, bytes: Footprint.size(of: binary), startup: startup, idle: idleMemory, loaded: loaded)
    }
}

/// `bothub run` with no Telegram and one enrolled agent.
enum HubFootprint {
    static func measure(binary: String, directory: String, idle: Int) throws -> Footprint {
        let state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let port = try HubProcess.freePort()
        let config = directory + "/hub.yml"
        try """
        hub:
          state_dir: \(state)
        listen:
          host: 127.0.0.1
          port: \(port)
        telegram: {}
        agents:
          - {id: footprint, url: 'http://127.0.0.1:9', key: "\(AgentKey.generate().base64)"}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let (child, startup) = try Footprint.startListening([binary, "run", "--config", config, "--log-level", "error"], port: port)
        defer { child.stop() }
        sleep(UInt32(idle))
        return Footprint(binary: binary, bytes: Footprint.size(of: binary), startup: startup, idle: Footprint.Memory(pid: child.pid), loaded: nil)
    }
}

extension Optional {
    fileprivate func unwrap(or message: String) throws -> Wrapped {
        guard let self else { throw BenchError(message) }
        return self
    }
}
