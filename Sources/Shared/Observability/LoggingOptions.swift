import ArgumentParser
import Logging

/// `--log-level` and `--log-format`, shared by every long-running command of both programs.
public struct LoggingOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel: String = "info"

    @Option(help: "plain (human-readable) or json (one object per line).")
    public var logFormat: String = "plain"

    public init() {}

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: expected trace, debug, info, notice, warning, error or critical")
        }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format: expected plain or json") }
    }

    /// Bootstraps swift-log once, in `main`.
    public func bootstrap() {
        VigilLogging.bootstrap(format: LogFormat(rawValue: logFormat) ?? .plain, level: Logger.Level(rawValue: logLevel) ?? .info)
    }
}
