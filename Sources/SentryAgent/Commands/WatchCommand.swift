import ArgumentParser
import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent watch [--config FILE]`: the agent's detection, in the foreground, with alerts printed instead of sent.
///
/// The detectors run exactly as in `run` (the same `DetectionService`, the same followers and thresholds); only the
/// sink differs. There is no hub, no outbox and no `/response` endpoint, and log positions go to a scratch directory
/// removed at exit, so watching never disturbs a running agent's state.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run every configured detector in the foreground and print each alert as one JSON line (no hub needed); stop with Ctrl-C.",
        discussion: """
            Reads only the detectors: section of the configuration, so it works before the agent is enrolled (no hub \
            key needed). Alerts are the wire JSON the hub would receive, one per line on standard output; logs go to \
            standard error. Files are followed from their end unless detectors.follow.start_at is beginning.
            """
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The agent YAML file")))
    var config: String = ConfigFileLocation.agent

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "sentry-agent")
        let detectors: DetectorsConfiguration
        do {
            detectors = try DetectorsConfiguration.parse(yaml: try String(contentsOfFile: config, encoding: .utf8))
        } catch let error as ConfigError {
            for problem in error.problems { FileOutput.standardError.write("\(config): \(problem)\n") }
            throw ExitCode.failure
        } catch {
            FileOutput.standardError.write("\(config): cannot read: \(FileErrorText.reason(error))\n")
            throw ExitCode.failure
        }
        let scratch = try ScratchDirectory(prefix: "vigil-watch")
        defer { scratch.remove() }
        let hostname = ProcessInfo.processInfo.hostName
        let detection = DetectionService(
            configuration: detectors,
            stateDirectory: scratch.path,
            factory: AlertFactory(agentID: "watch", hostname: hostname, responses: ResponsesConfiguration()),
            sink: PrintingSink(),
            logger: logger
        )
        logger.info("watching; alerts are printed as JSON lines, Ctrl-C stops", metadata: ["detectors": "\(detectors.activeSummary)"])
        let group = ServiceGroup(services: [detection], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        logger.info("stopped")
    }
}

/// Prints each alert as one line of wire JSON on standard output (`sentry-agent watch`).
struct PrintingSink: AlertSink {
    func submit(_ alert: Alert) async {
        do {
            var line = try WireCoding.encoder().encode(alert)
            line.append(UInt8(ascii: "\n"))
            FileOutput.standardOutput.write(line)
        } catch {
            FileOutput.standardError.write("cannot encode alert \(alert.id): \(error)\n")
        }
    }
}

/// A private directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init(prefix: String) throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(prefix).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ValidationError("cannot create a scratch directory in \(FileManager.default.temporaryDirectory.path)")
        }
        path = String(cString: made)
    }

    func remove() {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            FileOutput.standardError.write("cannot remove \(path): \(FileErrorText.reason(error))\n")
        }
    }
}

extension DetectorsConfiguration {
    /// The detectors that will run and what each watches, for start lines: `ssh(/var/log/auth.log) http404(…) cpu`.
    var activeSummary: String {
        var parts: [String] = []
        if ssh.isActive {
            let kinds = [ssh.sessions ? "sessions" : nil, ssh.bruteForce ? "brute_force" : nil].compactMap { $0 }.joined(separator: "+")
            parts.append("ssh[\(kinds)](\(ssh.source == .journald ? "journald" : ssh.paths.joined(separator: ",")))")
        }
        if http404.enabled, !http404.paths.isEmpty { parts.append("http404(\(http404.paths.joined(separator: ",")))") }
        if cpu.enabled { parts.append("cpu") }
        if listeners.enabled { parts.append("listeners") }
        if identity.enabled { parts.append("identity") }
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}
