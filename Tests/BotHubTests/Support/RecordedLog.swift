import Logging
import Synchronization

/// A `LogHandler` that keeps every message, for tests of what the hub logs.
final class RecordedLog: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    private let state = Mutex<(level: Logger.Level, metadata: Logger.Metadata)>((.info, [:]))

    var messages: [String] { lines.withLock { $0 } }

    var logLevel: Logger.Level {
        get { state.withLock { $0.level } }
        set { state.withLock { $0.level = newValue } }
    }

    var metadata: Logger.Metadata {
        get { state.withLock { $0.metadata } }
        set { state.withLock { $0.metadata = newValue } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.message)") }
    }
}
