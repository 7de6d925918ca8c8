import ArgumentParser
import FoundationEssentials
import Logging
import Shared
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent replay --detector ssh|ssh-bruteforce|http404 [--config FILE] LOGFILE...`: Vigil's fail2ban-regex.
///
/// Runs one detector over log files (gzip too) with the thresholds of a configuration and prints each alert as one
/// JSON object per line, then a summary on standard error. Times come from the lines, so a replay is deterministic.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a detector over log files offline and print its alerts as JSON lines (test thresholds on your own logs).",
        discussion: """
            ssh: successful logins (ssh_session). ssh-bruteforce: failed-login bursts (ssh_bruteforce). http404: nginx 404 \
            bursts (http_404_burst). Files ending in .gz or starting with the gzip magic are decompressed with gzip -dc. \
            With --follow the files are followed like tail -F and alerts are printed as they happen. With --explain, \
            a report per file replaces the JSON lines: lines read, parsed, not matching the format (the first few \
            shown), truncated, and what the detector counted and raised (like fail2ban-regex or cscli explain). A \
            directory or an unreadable file is an error (exit 1).
            """
    )

    /// The detectors `replay` can run.
    enum DetectorName: String, ExpressibleByArgument, CaseIterable {
        case ssh
        case sshBruteForce = "ssh-bruteforce"
        case http404
    }

    @Option(help: "The detector: ssh, ssh-bruteforce or http404.")
    var detector: DetectorName

    @Option(help: "An agent YAML file whose detectors: section sets thresholds and log_format (other sections are ignored).")
    var config: String?

    @Flag(help: "Follow the files (from their end) and print alerts as they happen, until interrupted.")
    var follow = false

    @Flag(help: "Print a report per file (lines read, parsed, not matching with samples, truncated, matches, alerts) instead of JSON lines.")
    var explain = false

    @Argument(help: "Log files to read, in order.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one log file") }
        guard !(explain && follow) else { throw ValidationError("--explain reads whole files; it cannot be combined with --follow") }
    }

    func run() throws {
        var detectors = DetectorsConfiguration()
        if let config {
            do {
                let text = try String(contentsOfFile: config, encoding: .utf8)
                detectors = try DetectorsConfiguration.parse(yaml: text)
            } catch let error as ConfigError {
                for problem in error.problems { FileOutput.standardError.write("\(config): \(problem)\n") }
                throw ExitCode.failure
            } catch {
                FileOutput.standardError.write("\(config): cannot read: \(error)\n")
                throw ExitCode.failure
            }
        }
        let printer = ReplayPrinter()
        let tally = DetectionTally()
        let outlet: any DetectionOutlet = explain ? tally : printer
        let started = ContinuousClock.now
        let lines: Int
        switch detector {
        case .ssh, .sshBruteForce:
            let sessions: SSHSessionDetector? =
                detector == .ssh ? SSHSessionDetector(knownLogins: KnownLogins(capacity: detectors.ssh.maxKnownLogins)) : nil
            let bruteForce: SSHBruteForceDetector? =
                detector == .sshBruteForce ? SSHBruteForceDetector(configuration: DetectionService.sshBruteForceConfiguration(detectors)) : nil
            let consumer = SSHLogConsumer(
                sessions: sessions, bruteForce: bruteForce, sessionProcesses: nil, knownLoginStore: nil, outlet: outlet,
                wallClock: { Int64(time(nil)) }, utcOffset: DetectionService.localUTCOffset())
            lines = try feed(consumer, detectors: detectors, tally: tally)
        case .http404:
            // --explain counts the lines not in the format, so it must look at every line.
            guard let detector = DetectionService.http404Detector(detectors, parsesEveryLine: explain) else {
                throw ValidationError("detectors.http404.log_format is not usable")
            }
            let systemClock: @Sendable () -> Int64 = { Int64(time(nil)) }
            let wallClock = follow ? systemClock : nil
            lines = try feed(HTTP404LogConsumer(detector: detector, outlet: outlet, wallClock: wallClock), detectors: detectors, tally: tally)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(lines) / seconds : 0
        FileOutput.standardError.write(
            "replay: \(lines) lines read in \(decimalText(seconds, decimals: 3)) s (\(Int(rate)) lines/s), "
                + "\(explain ? tally.snapshot.values.reduce(0, +) : printer.count) alerts, "
                + "peak memory \(decimalText(Double(PeakMemory.kibibytes()) / 1024, decimals: 1)) MiB\n")
    }

    /// Reads every file through the consumer (or follows them with `--follow`, or explains each with `--explain`);
    /// returns the lines read.
    private func feed<Consumer: ExplainableConsumer>(_ consumer: Consumer, detectors: DetectorsConfiguration, tally: DetectionTally) throws -> Int {
        if explain { return try explainFiles(consumer, detectors: detectors, tally: tally) }
        if follow {
            var options = LogFollowerOptions()
            options.maxLineBytes = detectors.follow.maxLineBytes
            options.pollInterval = detectors.follow.pollInterval
            options.startAtEnd = true
            let follower = LogFollower(
                paths: files, options: options, store: MemoryFollowerStateStore(), consumer: consumer, logger: Logger(label: "replay"))
            let stop = FollowerStopSignal()
            FollowCommand.stopOnSignals(stop)
            follower.run(stop: stop)
            return follower.statistics.lines
        }
        var reader = LogFileReader(maxLineBytes: detectors.follow.maxLineBytes)
        var consumer = consumer
        for file in files {
            do {
                try reader.read(file, into: &consumer)
            } catch {
                FileOutput.standardError.write("replay: \(error)\n")
                throw ExitCode.failure
            }
        }
        return reader.lines
    }

    /// Reads each file and prints its report; a file that cannot be read stops the replay with exit status 1.
    private func explainFiles<Consumer: ExplainableConsumer>(_ consumer: Consumer, detectors: DetectorsConfiguration, tally: DetectionTally) throws
        -> Int
    {
        var reader = LogFileReader(maxLineBytes: detectors.follow.maxLineBytes)
        var explaining = ExplainingConsumer(consumer)
        for file in files {
            let before = (lines: reader.lines, truncated: reader.truncatedLines, classes: explaining.inner.classification, alerts: tally.snapshot)
            explaining.startFile()
            do {
                try reader.read(file, into: &explaining)
            } catch {
                FileOutput.standardError.write("replay: \(error)\n")
                throw ExitCode.failure
            }
            let classes = explaining.inner.classification
            let alerts = tally.snapshot.reduce(into: [String: Int]()) { result, pair in
                let count = pair.value - (before.alerts[pair.key] ?? 0)
                if count > 0 { result[pair.key] = count }
            }
            let explanation = FileExplanation(
                path: file, lines: reader.lines - before.lines, truncated: reader.truncatedLines - before.truncated,
                classification: LineClassification(
                    parsed: classes.parsed - before.classes.parsed, unmatched: classes.unmatched - before.classes.unmatched,
                    matched: classes.matched - before.classes.matched),
                samples: explaining.samples, alerts: alerts)
            FileOutput.standardOutput.write(
                explanation.render(
                    detector: detector.rawValue, matchedMeaning: explaining.inner.matchedMeaning, unmatchedMeaning: explaining.inner.unmatchedMeaning,
                    maxLineBytes: detectors.follow.maxLineBytes))
        }
        return reader.lines
    }
}

/// Prints replay detections as JSON lines on standard output, written per batch (so `--follow` is live).
final class ReplayPrinter: DetectionOutlet {
    /// A counter needs no lock: an atomic add from whichever follower thread delivers.
    private let printed = Atomic<Int>(0)

    /// Alerts printed so far.
    var count: Int { printed.load(ordering: .relaxed) }

    func deliver(_ detections: [Detection]) {
        let encoder = WireCoding.encoder()
        var output = Data()
        for detection in detections {
            guard let json = try? encoder.encode(ReplayRecord(detection)) else { continue }
            output.append(json)
            output.append(UInt8(ascii: "\n"))
        }
        FileOutput.standardOutput.write(output)
        _ = printed.add(detections.count, ordering: .relaxed)
    }
}

/// One alert as `replay` prints it: flat, with the fields a threshold tuner looks at.
struct ReplayRecord: Codable, Equatable {
    var kind: String
    var severity: String
    var ip: String?
    var user: String?
    var users: [String]?
    var count: Int?
    var distinctPaths: Int?
    var paths: [String]?
    var method: String?
    var port: Int?
    var pid: Int32?
    var windowSeconds: Int?
    var firstSeen: Date
    var lastSeen: Date

    init(_ detection: Detection) {
        kind = detection.kind.rawValue
        severity = detection.severity.rawValue
        firstSeen = Date(timeIntervalSince1970: TimeInterval(detection.firstSeen))
        lastSeen = Date(timeIntervalSince1970: TimeInterval(detection.lastSeen))
        switch detection.subject {
        case .sshSession(let evidence):
            ip = evidence.ip
            user = evidence.user
            count = 1
            method = evidence.method
            port = evidence.port
            pid = evidence.pid > 0 ? evidence.pid : nil
        case .sshBruteForce(let evidence):
            ip = evidence.ip
            users = evidence.users
            count = evidence.attempts
            windowSeconds = evidence.windowSeconds
        case .http404(let evidence):
            ip = evidence.ip
            count = evidence.count
            distinctPaths = evidence.distinctPaths
            paths = evidence.samplePaths
            windowSeconds = evidence.windowSeconds
        case .cpu(let evidence):
            count = Int(evidence.percent.rounded())
            windowSeconds = evidence.windowSeconds
        case .agent, .listener, .securityUpdates, .upgradeFinished, .restartNeeded, .identity:
            break
        }
    }
}

/// Unbuffered-enough writes to the standard streams without Foundation's FileHandle.
struct FileOutput {
    let descriptor: Int32
    static let standardOutput = FileOutput(descriptor: 1)
    static let standardError = FileOutput(descriptor: 2)

    func write(_ text: String) {
        write(Data(text.utf8))
    }

    func write(_ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

}

/// `value` with `decimals` digits after the point, without Foundation's `String(format:)`.
func decimalText(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int64((abs(value) * scale).rounded())
    let whole = scaled / Int64(scale)
    let fraction = String(scaled % Int64(scale))
    let padded = String(repeating: "0", count: max(0, decimals - fraction.count)) + fraction
    return (value < 0 ? "-" : "") + "\(whole)" + (decimals > 0 ? "." + padded : "")
}

/// The process's peak resident memory (`VmHWM`), in KiB.
enum PeakMemory {
    static func kibibytes(field: String = "VmHWM:") -> Int {
        guard let bytes = ProcFileSystem(root: "/proc").read("self/status") else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.dropFirst(field.count).filter(\.isNumber)) ?? 0
    }
}
