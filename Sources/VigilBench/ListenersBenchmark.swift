import ArgumentParser
import Foundation
import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil-bench listeners`: the listeners detector's three figures, each beside its baseline from the same run.
///
/// 1. One poll's CPU with 50 listeners and 10,000 established connections (a python helper holds them), through
///    sock_diag; baselines: a full `/proc/net/{tcp,tcp6,udp,udp6}` read and parse, and `ss -Htln` (its CPU as a child).
/// 2. Alert latency: a socket bound at a random moment, the detector polling every `interval`; the time until the
///    poll that alerts on it (the two-poll debounce included). p50 and p99 over `trials`.
/// 3. Idle overhead: resident memory before the detector exists and after `idlePolls` polls of an idle host.
struct ListenersBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listeners",
        abstract: "Listener poll CPU (vs /proc/net and ss), alert latency after a bind (p99), idle memory overhead."
    )

    @Option(help: "Polls timed for the poll-CPU figure.")
    var polls = 500

    @Option(help: "Binds timed for the alert-latency figure.")
    var trials = 30

    @Option(help: "Poll interval (ms) for the latency figure: the detector's default is 1000.")
    var interval = 1000

    @Option(help: "Polls before the idle memory is read.")
    var idlePolls = 120

    func run() async throws {
        // Idle memory first, before the busy host and the other figures grow the heap.
        let idle = try idleOverhead()
        let (poll, p90, firstPoll, procRead, ssRun) = try pollCost()
        let (p50, p99, worst, latencies, firstBind) = try await alertLatency()
        print("| measure | value | baseline (same run) |")
        print("|---|---|---|")
        print(
            "| one poll, 50 listeners + 10,000 established, sock_diag (CPU, median of \(polls); p90 \(Self.us(p90))) | \(Self.us(poll)) | full `/proc/net/{tcp,tcp6,udp,udp6}` read: \(Self.us(procRead)); `ss -Htln`: \(Self.us(ssRun)) per run |"
        )
        print("| first poll (walks every process's descriptors for owners) | \(Self.us(firstPoll)) | |")
        print(
            "| alert after bind, poll every \(interval) ms, \(trials) binds | p50 \(Self.ms(p50)), p99 \(Self.ms(p99)) (max \(Self.ms(worst))) | two polls of \(interval) ms: \(Self.ms(2 * Double(interval) / 1000)) worst case |"
        )
        print(
            "| the run's first bind, untimed above (the run's first lookup of a new executable in dpkg's lists, which the detector makes for its baseline at start) | \(Self.ms(firstBind)) | |"
        )
        print(
            "| idle overhead: resident growth over \(idlePolls) steady polls | \(String(format: "%.3f", idle.growth)) MiB | one-time cost of the first polls (owner walk, dpkg index): \(String(format: "%.2f", idle.setup)) MiB over \(String(format: "%.1f", idle.before)) MiB |"
        )
        print("latencies in bind order (s): " + latencies.map { String(format: "%.2f", $0) }.joined(separator: " "))
    }

    /// Median and p90 poll CPU, the first poll's, the /proc/net read's median, and `ss -Htln`'s CPU per run (seconds).
    private func pollCost() throws -> (Double, Double, Double, Double, Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", ListenerChecks.busyHostScript]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL) }
        let ready = String(decoding: output.fileHandleForReading.readData(ofLength: 6), as: UTF8.self)
        guard ready.hasPrefix("ready") else { throw ListenerCheckError(description: "the busy-host helper did not start") }

        var poller = ListenerChecks.Poller()
        var started = Self.threadCPU()
        let first = try poller.poll()
        let firstPoll = Self.threadCPU() - started
        guard first.filter({ $0 == process.processIdentifier }).count == 50 else {
            throw ListenerCheckError(description: "the first poll did not find the helper's 50 listeners")
        }
        var times: [Double] = []
        for _ in 0..<polls {
            started = Self.threadCPU()
            blackHole(try poller.poll())
            times.append(Self.threadCPU() - started)
        }
        guard poller.ownerWalks == 1 else { throw ListenerCheckError(description: "a steady poll walked /proc again") }
        var reads: [Double] = []
        for _ in 0..<50 {
            started = Self.threadCPU()
            blackHole(ListenerChecks.readProcNet())
            reads.append(Self.threadCPU() - started)
        }
        let runs = 20
        let before = Self.childrenCPU()
        for _ in 0..<runs {
            let ss = Process()
            ss.executableURL = URL(fileURLWithPath: "/usr/bin/ss")
            ss.arguments = ["-Htln"]
            ss.standardOutput = FileHandle.nullDevice
            try ss.run()
            ss.waitUntilExit()
        }
        let ssRun = (Self.childrenCPU() - before) / Double(runs)
        times.sort()
        reads.sort()
        return (times[times.count / 2], times[times.count * 9 / 10], firstPoll, reads[reads.count / 2], ssRun)
    }

    /// p50, p99 and the worst bind-to-alert time (seconds) over `trials` binds at random phases of the poll, and the
    /// first bind's time apart: its alert is the first to look a new executable up in dpkg's file lists, a cost the
    /// detector pays when its first start forms the baseline, not per new listener.
    private func alertLatency() async throws -> (Double, Double, Double, [Double], Double) {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-listeners-\(getpid())").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        var monitor = ListenerChecks.Monitor(stateDirectory: state)
        _ = monitor.tick(time: 0)
        let clock = ContinuousClock()
        var latencies: [Double] = []
        var tick: Int64 = 1
        let base = UInt16.random(in: 20000...29000)
        // Polls run on a fixed schedule, as the detector's loop does, whatever the binds do.
        let period = Duration.milliseconds(interval)
        var nextPoll = clock.now + period
        var unsorted: [Double] = []
        var firstBind = 0.0
        for trial in 0...trials {
            // Bind at a random phase of the poll cycle.
            try await Task.sleep(until: nextPoll - period + .milliseconds(Int.random(in: 0..<interval)), clock: clock)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            // A fixed, non-ephemeral port per trial: a new identity each time, so each bind alerts.
            let port = base + UInt16(trial)
            address.sin_port = port.bigEndian
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(descriptor, 16) == 0 else { throw ListenerCheckError(description: "cannot listen on 127.0.0.1:\(port)") }
            let boundAt = clock.now
            var alerted = false
            for _ in 0..<10 where !alerted {
                try await Task.sleep(until: nextPoll, clock: clock)
                // A poll that overran its slot starts the next one late, as the detector's sleep-after-poll would.
                nextPoll = max(nextPoll + period, clock.now)
                alerted = monitor.tick(time: tick).contains(Int(port))
                tick += 1
            }
            guard alerted else { throw ListenerCheckError(description: "no alert for port \(port) within 10 polls") }
            let elapsed = clock.now - boundAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if trial == 0 {
                firstBind = seconds
            } else {
                latencies.append(seconds)
                unsorted.append(seconds)
            }
        }
        latencies.sort()
        let p99 = latencies[min(latencies.count - 1, Int((Double(latencies.count) * 0.99).rounded(.up)) - 1)]
        return (latencies[latencies.count / 2], p99, latencies.last ?? 0, unsorted, firstBind)
    }

    /// Resident memory (MiB) before the detector exists, what its first 10 polls add (owner walk, dpkg index), and
    /// the growth over `idlePolls` more polls of an idle host: the steady overhead.
    private func idleOverhead() throws -> (before: Double, setup: Double, growth: Double) {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-idle-\(getpid())").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let before = Self.residentMiB()
        var monitor = ListenerChecks.Monitor(stateDirectory: state)
        for round in 0..<10 { blackHole(monitor.tick(time: Int64(round))) }
        let warm = Self.residentMiB()
        for round in 10..<(10 + idlePolls) { blackHole(monitor.tick(time: Int64(round))) }
        return (before, warm - before, Self.residentMiB() - warm)
    }

    private static func residentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    private static func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func childrenCPU() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func us(_ seconds: Double) -> String { String(format: "%.0f µs", seconds * 1e6) }
    private static func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1e3) }
}
