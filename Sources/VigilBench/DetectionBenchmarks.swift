import ArgumentParser
import Foundation
import Shared

/// `vigil-bench detection`: the agent's detection figures, each beside a baseline measured in the same run.
///
/// The detectors live in the `sentry-agent` executable, so they are measured through it, as users run them:
/// `sentry-agent replay` for throughput and memory, `replay --follow` for append-to-alert latency, `run` for resident
/// memory. Build everything in release first (`swift build -c release`), so `sentry-agent` sits beside `vigil-bench`.
struct DetectionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detection",
        abstract: "Replay throughput per detector vs grep -c, append-to-alert latency, agent memory idle and with 10,000 addresses."
    )

    @Option(help: "The sentry-agent binary (default: beside this program).")
    var agent: String?

    @Option(help: "Lines of the generated nginx log.")
    var nginxLines = 1_000_000

    @Option(help: "Lines of the generated auth log.")
    var authLines = 200_000

    @Option(help: "Appends measured for the latency figure.")
    var appends = 1000

    @Option(help: "Distinct addresses for the table-memory figure.")
    var addresses = 1_000_000

    @Option(help: "Run only these parts (throughput, latency, memory, table); default all.")
    var only: [String] = []

    func run() throws {
        let binary = agent ?? DetectionBenchmarkSupport.siblingAgent()
        let directory = try DetectionBenchmarkSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let parts = Set(only.isEmpty ? ["throughput", "latency", "memory", "table"] : only)
        if parts.contains("throughput") {
            print(benchmarkReplayThroughput(agent: binary, directory: directory, nginxLines: nginxLines, authLines: authLines))
        }
        if parts.contains("latency") { print(benchmarkAppendToAlertLatency(agent: binary, directory: directory, appends: appends)) }
        if parts.contains("memory") { print(benchmarkAgentMemory(agent: binary, directory: directory, trackedAddresses: 10_000)) }
        if parts.contains("table") { print(benchmarkAddressTableMemory(agent: binary, directory: directory, addresses: addresses)) }
    }
}

// MARK: - Benchmarks

/// Replay throughput of each detector over generated logs (seeded, so every run reads the same bytes), beside
/// `grep -c` over the same file in the same run. Best of three runs each; the replay's own lines/s (reading, parsing,
/// detecting, one core) and grep's (lines ÷ wall time, process start included).
func benchmarkReplayThroughput(agent: String, directory: String, nginxLines: Int, authLines: Int) -> String {
    let nginx = directory + "/access.log"
    let auth = directory + "/auth.log"
    generateNginxLog(lines: nginxLines, seed: 0x5EED, to: nginx)
    generateAuthLog(lines: authLines, seed: 0xA17, to: auth)
    var rows = [
        "| detector | file | lines | alerts | replay lines/s | `grep -c` lines/s (matches) | replay ÷ grep -c |", "|---|---|---|---|---|---|---|",
    ]
    for (detector, file, lines, pattern) in [
        ("http404", nginx, nginxLines, "\" 404 "), ("ssh", auth, authLines, "Accepted "), ("ssh-bruteforce", auth, authLines, "sshd"),
    ] {
        var best: (rate: Double, alerts: Int) = (0, 0)
        for _ in 0..<3 {
            let run = DetectionBenchmarkSupport.replay(agent: agent, arguments: ["--detector", detector, file])
            if run.rate > best.rate { best = (run.rate, run.alerts) }
        }
        var grepBest = 0.0
        var matches = ""
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let grep = try? DetectionBenchmarkSupport.collect(["/bin/grep", "-c", pattern, file], output: .capture, errors: .discard)
            let elapsed = DetectionBenchmarkSupport.seconds(ContinuousClock.now - start)
            guard let grep, grep.status <= 1 else { return "grep -c failed on \(file)" }
            matches = grep.output.trimmingCharacters(in: .whitespacesAndNewlines)
            grepBest = max(grepBest, Double(lines) / elapsed)
        }
        rows.append(
            "| \(detector) | \(file.hasSuffix("access.log") ? "nginx combined" : "Debian auth.log") | \(lines) | \(best.alerts) | "
                + "\(Int(best.rate)) | \(Int(grepBest)) (`\(pattern)`: \(matches)) | \(String(format: "%.2f", best.rate / grepBest)) |")
    }
    return "Replay throughput (one core each, best of 3)\n" + rows.joined(separator: "\n")
}

/// Latency from a line appended to a followed access log to its alert coming out of the detector: `sentry-agent replay
/// --follow` (the agent's follower, inotify wake-up, parser and detector) with a warning count of 1, so every new
/// address alerts; measured to the JSON line read from its standard output, over `appends` appends 5 ms apart.
/// Baseline: the same round trip through `cat` (write → pipe → read).
func benchmarkAppendToAlertLatency(agent: String, directory: String, appends: Int) -> String {
    let log = directory + "/latency.log"
    let config = directory + "/latency.yml"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    try? "detectors:\n  http404: {warning_count: 1, critical_count: 1000000, cooldown: 1h}\n".write(toFile: config, atomically: true, encoding: .utf8)
    guard let child = try? DetectionBenchmarkSupport.PipedChild([agent, "replay", "--detector", "http404", "--follow", "--config", config, log])
    else {
        return "latency: cannot start \(agent)"
    }
    defer { child.stop() }
    let appender = FileHandle(forWritingAtPath: log)
    defer { try? appender?.close() }
    func line(_ index: Int) -> Data {
        Data(
            "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256) - - [22/Nov/2025:02:51:07 +0000] \"GET /x HTTP/1.1\" 404 1 \"-\" \"b\"\n"
                .utf8)
    }
    // Warm-up: the follower must be running and at the end of the file before timing starts.
    var warm = false
    for attempt in 0..<100 where !warm {
        appender?.seekToEndOfFile()
        appender?.write(line(1_000_000 + attempt))
        warm = child.readLine(timeout: .milliseconds(100)) != nil
    }
    var samples: [Double] = []
    for index in 0..<appends {
        appender?.seekToEndOfFile()
        let start = ContinuousClock.now
        appender?.write(line(index))
        guard child.readLine(timeout: .seconds(5)) != nil else { return "latency: no alert for append \(index)" }
        samples.append(DetectionBenchmarkSupport.seconds(ContinuousClock.now - start) * 1000)
        usleep(5000)
    }
    let baseline = DetectionBenchmarkSupport.pipeRoundTrip(count: min(appends, 1000))
    return "Append-to-alert latency over \(appends) appends: " + DetectionBenchmarkSupport.percentiles(samples)
        + "\n  baseline, write → cat → read through pipes: " + DetectionBenchmarkSupport.percentiles(baseline)
}

/// Resident memory of `sentry-agent run` (all detectors on, responses in dry run, a hub that does not answer): idle
/// after start, then after 10,000 distinct addresses' 404s were appended to its access log and read. Baseline: a
/// `sleep` process's resident memory, the floor of any process here.
func benchmarkAgentMemory(agent: String, directory: String, trackedAddresses: Int) -> String {
    let state = directory + "/agent-state"
    let access = directory + "/agent-access.log"
    let auth = directory + "/agent-auth.log"
    _ = FileManager.default.createFile(atPath: access, contents: nil)
    _ = FileManager.default.createFile(atPath: auth, contents: nil)
    let config = directory + "/agent.yml"
    let yaml = """
        agent: {id: bench, state_dir: \(state)}
        hub: {url: "http://127.0.0.1:9", key: "\(AgentKey.generate().base64)"}
        listen: {host: 127.0.0.1, port: 0}
        responses: {block_ip: false, kill_session: false}
        detectors:
          ssh: {source: file, paths: [\(auth)]}
          http404: {paths: [\(access)]}
        """
    try? yaml.write(toFile: config, atomically: true, encoding: .utf8)
    guard let child = try? DetectionBenchmarkSupport.PipedChild([agent, "run", "--config", config, "--dry-run"]) else {
        return "memory: cannot start \(agent)"
    }
    defer { child.stop() }
    let checkpoint = state + "/positions/http404.json"
    let deadline = ContinuousClock.now + .seconds(20)
    while !FileManager.default.fileExists(atPath: checkpoint), ContinuousClock.now < deadline { usleep(20_000) }
    sleep(3)
    let idle = DetectionBenchmarkSupport.residentKiB(pid: child.pid)
    var text = ""
    for index in 0..<trackedAddresses {
        text +=
            "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256) - - [22/Nov/2025:02:51:07 +0000] \"GET /p\(index) HTTP/1.1\" 404 1 \"-\" \"b\"\n"
    }
    let appender = FileHandle(forWritingAtPath: access)
    appender?.seekToEndOfFile()
    appender?.write(Data(text.utf8))
    try? appender?.close()
    // Read when the checkpoint reaches the end of the file.
    let size = Int64(text.utf8.count)
    let readDeadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < readDeadline {
        if let data = FileManager.default.contents(atPath: checkpoint), let body = String(data: data, encoding: .utf8),
            body.contains("\"offset\":\(size)")
        {
            break
        }
        usleep(50_000)
    }
    sleep(2)
    let loaded = DetectionBenchmarkSupport.residentKiB(pid: child.pid)
    let anonymous = DetectionBenchmarkSupport.residentKiB(pid: child.pid, field: "RssAnon:")
    let fileBacked = DetectionBenchmarkSupport.residentKiB(pid: child.pid, field: "RssFile:")
    child.stop()
    // The same agent with every detector off: what detection itself adds at idle.
    let bare = directory + "/agent-bare.yml"
    try? yaml.replacingOccurrences(
        of: "detectors:\n  ssh: {source: file, paths: [\(auth)]}\n  http404: {paths: [\(access)]}",
        with: "detectors: {ssh: {sessions: false, brute_force: false}, cpu: {enabled: false}, http404: {enabled: false}}"
    ).replacingOccurrences(of: state, with: state + "-bare").write(toFile: bare, atomically: true, encoding: .utf8)
    var withoutDetectors = 0
    if let plain = try? DetectionBenchmarkSupport.PipedChild([agent, "run", "--config", bare, "--dry-run"]) {
        sleep(4)
        withoutDetectors = DetectionBenchmarkSupport.residentKiB(pid: plain.pid)
        plain.stop()
    }
    let floor = DetectionBenchmarkSupport.sleepResidentKiB()
    let mib = DetectionBenchmarkSupport.mebibytes
    return "Agent resident memory (sentry-agent run, all detectors): idle \(mib(idle)), with \(trackedAddresses) tracked addresses "
        + "\(mib(loaded)) (of which anonymous \(mib(anonymous)), file-backed code and libraries \(mib(fileBacked))); "
        + "the same agent with every detector off \(mib(withoutDetectors)); baseline `sleep` \(mib(floor))"
}

/// Peak resident memory of `sentry-agent replay --detector http404` over `addresses` distinct clients inside one
/// window (seen once each, and three times each), beside the same file with every status 200 (parsed, not tracked).
func benchmarkAddressTableMemory(agent: String, directory: String, addresses: Int) -> String {
    var rows = ["| file | peak resident | tracked addresses |", "|---|---|---|"]
    for (label, hits, status) in [("200s only (baseline)", 1, 200), ("1 × 404 each", 1, 404), ("3 × 404 each", 3, 404)] {
        let file = directory + "/addresses-\(hits)-\(status).log"
        generateAddressLog(addresses: addresses, hitsEach: hits, status: status, to: file)
        let run = DetectionBenchmarkSupport.replay(agent: agent, arguments: ["--detector", "http404", file])
        rows.append("| \(label) | \(run.peak) | \(status == 404 ? addresses : 0) |")
        try? FileManager.default.removeItem(atPath: file)
    }
    return "404 table memory (replay peak, \(addresses) addresses within one 60 s window)\n" + rows.joined(separator: "\n")
}

// MARK: - Generators

/// A deterministic nginx `combined` log: 92 % ordinary traffic (200/304/301 from 50,000 clients), 3 % 404s from a few
/// hundred slow scanners, 2 % from one burst scanner per minute (a warning and a critical alert each), 3 % from one-off
/// addresses; about 300 lines per second of log time.
func generateNginxLog(lines: Int, seed: UInt64, to path: String) {
    var random = SplitMix64(seed: seed)
    let pages = [
        "/", "/index.html", "/about", "/blog/2025/11/hello-world", "/static/app.css", "/static/app.js", "/img/logo.png", "/api/v1/items?page=2",
    ]
    let probes = [
        "/wp-login.php", "/.env", "/phpmyadmin/", "/.git/config", "/admin.php", "/xmlrpc.php", "/cgi-bin/luci", "/vendor/phpunit/eval-stdin.php",
    ]
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "curl/7.88.1", "Go-http-client/1.1",
    ]
    var output = Data()
    output.reserveCapacity(lines * 170)
    let start = LogTimeFormat.unix(year: 2025, month: 11, day: 22)
    for index in 0..<lines {
        let time = start + Int64(index / 300)
        let roll = random.next() % 100
        let ip: String
        let path: String
        let status: Int
        if roll < 92 {
            let client = random.next() % 50_000
            ip = "203.0.\(client / 256 % 256).\(client % 256)"
            path = pages[Int(random.next() % UInt64(pages.count))]
            status = [200, 200, 200, 304, 301][Int(random.next() % 5)]
        } else if roll < 95 {
            // Slow scanners: a few hundred addresses, each a few 404s a minute (under the thresholds).
            let scanner = random.next() % 300
            ip = "198.51.\(scanner / 256).\(scanner % 256)"
            path = probes[Int(random.next() % UInt64(probes.count))] + "?\(random.next() % 1000)"
            status = 404
        } else if roll < 97 {
            // A burst scanner: one address per minute of log time, hundreds of 404s within it.
            let minute = time / 60
            ip = "192.0.2.\(minute % 250 + 1)"
            path = probes[Int(random.next() % UInt64(probes.count))] + "?v=\(random.next() % 100_000)"
            status = 404
        } else {
            ip = "100.\(random.next() % 64 + 64).\(random.next() % 256).\(random.next() % 256)"
            path = probes[Int(random.next() % UInt64(probes.count))]
            status = 404
        }
        let agentName = agents[Int(random.next() % UInt64(agents.count))]
        output.append(
            Data("\(ip) - - [\(LogTimeFormat.nginx(time))] \"GET \(path) HTTP/1.1\" \(status) \(random.next() % 5000) \"-\" \"\(agentName)\"\n".utf8))
    }
    _ = FileManager.default.createFile(atPath: path, contents: output)
}

/// A deterministic Debian auth.log: logins, brute force from a few hundred addresses (failed passwords with PAM's
/// line, invalid users, closes during authentication), session and cron noise; about 20 lines per second.
func generateAuthLog(lines: Int, seed: UInt64, to path: String) {
    var random = SplitMix64(seed: seed)
    var output = Data()
    output.reserveCapacity(lines * 120)
    let start = LogTimeFormat.unix(year: 2025, month: 11, day: 22)
    var pid = 10_000
    for index in 0..<lines {
        let stamp = LogTimeFormat.syslog(start + Int64(index / 20))
        let attacker = random.next() % 400
        let ip = "192.0.\(attacker / 256).\(attacker % 256)"
        let port = 30_000 + random.next() % 30_000
        let users = ["root", "admin", "ubuntu", "oracle", "test", "deploy", "postgres"]
        let user = users[Int(random.next() % UInt64(users.count))]
        pid += Int(random.next() % 3)
        let line: String
        switch random.next() % 100 {
        case 0..<2:
            line =
                "sshd[\(pid)]: Accepted publickey for deploy from 10.0.\(random.next() % 4).\(random.next() % 256) port \(port) ssh2: ED25519 SHA256:k3y"
        case 2..<30:
            line = "sshd[\(pid)]: Failed password for \(user) from \(ip) port \(port) ssh2"
        case 30..<50:
            line = "sshd[\(pid)]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=\(ip)  user=\(user)"
        case 50..<65:
            line = "sshd[\(pid)]: Invalid user \(user)\(random.next() % 100) from \(ip) port \(port)"
        case 65..<75:
            line = "sshd[\(pid)]: Connection closed by authenticating user \(user) \(ip) port \(port) [preauth]"
        case 75..<85:
            line = "sshd[\(pid)]: Received disconnect from \(ip) port \(port):11: Bye Bye [preauth]"
        case 85..<95:
            line = "sshd[\(pid)]: pam_unix(sshd:session): session closed for user deploy"
        default:
            line = "CRON[\(pid)]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
        }
        output.append(Data("\(stamp) web-1 \(line)\n".utf8))
    }
    _ = FileManager.default.createFile(atPath: path, contents: output)
}

/// `addresses` distinct clients, each with `hitsEach` requests answered `status`, all inside one minute.
func generateAddressLog(addresses: Int, hitsEach: Int, status: Int, to path: String) {
    var output = Data()
    output.reserveCapacity(addresses * hitsEach * 100)
    for index in 0..<addresses {
        let ip = "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)"
        for hit in 0..<hitsEach {
            output.append(Data("\(ip) - - [22/Nov/2025:02:51:\(10 + hit) +0000] \"GET /probe/\(hit) HTTP/1.1\" \(status) 1 \"-\" \"s\"\n".utf8))
        }
    }
    _ = FileManager.default.createFile(atPath: path, contents: output)
}

/// SplitMix64: small, fast, and the same sequence on every machine.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Log timestamps for the generators (UTC).
enum LogTimeFormat {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func unix(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        return (era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468) * 86_400
    }

    private static func parts(_ time: Int64) -> (day: Int64, month: Int, year: Int64, clock: String) {
        let days = time / 86_400
        let seconds = time % 86_400
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let clock = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        return (day, Int(month), year, clock)
    }

    /// `22/Nov/2025:02:51:07 +0000`.
    static func nginx(_ time: Int64) -> String {
        let (day, month, year, clock) = parts(time)
        return String(format: "%02d/%@/%04d:%@ +0000", day, months[month - 1], year, clock)
    }

    /// `Nov 22 02:51:07`.
    static func syslog(_ time: Int64) -> String {
        let (day, month, _, clock) = parts(time)
        return String(format: "%@ %2d %@", months[month - 1], day, clock)
    }
}

// MARK: - Process plumbing

/// Running `sentry-agent` and reading what it reports.
enum DetectionBenchmarkSupport {
    /// `sentry-agent` in the same build directory as this program.
    static func siblingAgent() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("sentry-agent").path
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "vigil-bench-detection-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// One `sentry-agent replay` run: its own lines/s, alert count and peak memory from the summary line.
    static func replay(agent: String, arguments: [String]) -> (rate: Double, alerts: Int, peak: String) {
        guard let run = try? collect([agent, "replay"] + arguments, output: .discard, errors: .capture) else { return (0, 0, "?") }
        let summary = run.errors
        func number(before marker: String) -> Double {
            guard let range = summary.range(of: marker) else { return 0 }
            let digits = summary[..<range.lowerBound].reversed().prefix { $0.isNumber || $0 == "." }
            return Double(String(digits.reversed())) ?? 0
        }
        let peak = summary.range(of: "peak memory ").map { String(summary[$0.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
        return (number(before: " lines/s"), Int(number(before: " alerts")), peak)
    }

    /// What to do with a child's output stream.
    enum Stream {
        case discard, capture
    }

    /// Runs `argv` to its end (`ProgramSpawner`; Foundation's `Process` was seen to detect the exit early here);
    /// returns the exit code and what was captured.
    static func collect(_ argv: [String], output: Stream, errors: Stream) throws -> (status: Int32, output: String, errors: String) {
        let child = try ProgramSpawner.spawn(
            argv, standardOutput: output == .capture ? .pipe : .null, standardError: errors == .capture ? .pipe : .null)
        func drain(_ descriptor: Int32) -> String {
            guard descriptor >= 0 else { return "" }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                bytes.append(contentsOf: chunk[..<count])
            }
            close(descriptor)
            return String(decoding: bytes, as: UTF8.self)
        }
        // Outputs here are small (a count, a summary line): draining one after the other cannot deadlock.
        let capturedOutput = drain(child.standardOutput ?? -1)
        let capturedErrors = drain(child.standardError ?? -1)
        return (child.waitForExit().code, capturedOutput, capturedErrors)
    }

    /// VmRSS (or another `status` field) of a process, in KiB.
    static func residentKiB(pid: Int32, field: String = "VmRSS:") -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return 0 }
        return Int(line.filter(\.isNumber)) ?? 0
    }

    /// The resident memory of `sleep`: what any process costs here.
    static func sleepResidentKiB() -> Int {
        guard let child = try? PipedChild(["/bin/sleep", "5"]) else { return 0 }
        defer { child.stop() }
        usleep(200_000)
        return residentKiB(pid: child.pid)
    }

    static func mebibytes(_ kibibytes: Int) -> String {
        String(format: "%.1f MiB", Double(kibibytes) / 1024)
    }

    static func percentiles(_ milliseconds: [Double]) -> String {
        let sorted = milliseconds.sorted()
        guard !sorted.isEmpty else { return "no samples" }
        func at(_ fraction: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
        return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", at(0.5), at(0.99), sorted[sorted.count - 1])
    }

    /// Write a line into `cat` and read it back, `count` times: the floor of a pipe round trip here.
    static func pipeRoundTrip(count: Int) -> [Double] {
        guard let child = try? PipedChild(["/bin/cat"], withInput: true) else { return [] }
        defer { child.stop() }
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            child.write("x\n")
            guard child.readLine(timeout: .seconds(5)) != nil else { break }
            samples.append(seconds(ContinuousClock.now - start) * 1000)
        }
        return samples
    }

    /// A child with its standard output on a pipe read line by line (and optionally its standard input on a pipe).
    final class PipedChild {
        let pid: pid_t
        private let spawned: SpawnedChild
        private let output: Int32
        private let input: Int32
        private var buffer: [UInt8] = []
        private var stopped = false

        init(_ argv: [String], withInput: Bool = false) throws {
            spawned = try ProgramSpawner.spawn(argv, standardInput: withInput ? .pipe : .null, standardOutput: .pipe)
            pid = spawned.pid
            output = spawned.standardOutput ?? -1
            input = spawned.standardInput ?? -1
        }

        func write(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Foundation.write(input, $0.baseAddress, $0.count) }
        }

        /// The next line of output, or nil after `timeout`.
        func readLine(timeout: Duration) -> String? {
            let deadline = ContinuousClock.now + timeout
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { return nil }
                var entry = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
                guard poll(&entry, 1, milliseconds) > 0 else { return nil }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                guard count > 0 else { return nil }
                buffer.append(contentsOf: chunk[..<count])
            }
        }

        func stop() {
            guard !stopped else { return }
            stopped = true
            _ = spawned.stop(grace: .seconds(2))
            close(output)
            if input >= 0 { close(input) }
        }
    }
}
