import FoundationEssentials
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one JSON object per line to standard error: time, level, label, message and metadata.
///
/// Values keep their type so that a log pipeline can filter on them (`queued > 10`): integers, doubles and booleans
/// logged as `.stringConvertible` become JSON numbers and booleans, arrays and dictionaries stay structured. Times
/// are UTC with milliseconds: several lines a second must stay in order.
///
/// Programs log values, never secrets or message bodies: keys and tokens are not passed to the logger at all
/// (`AgentKey.description` is redacted, and the Telegram client never logs URLs).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let write: @Sendable (Data) -> Void

    public init(label: String, level: Logger.Level) {
        // One write(2) per line (lines stay whole between threads); a failed write to standard error has nowhere to go.
        self.init(label: label, level: level) { line in
            var offset = 0
            line.withUnsafeBytes { buffer in
                while offset < buffer.count {
                    let written = Glibc.write(2, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    /// A handler writing each line (newline included) to `write`: tests read what a program would print.
    public init(label: String, level: Logger.Level, write: @escaping @Sendable (Data) -> Void) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 })
        write(Self.line(time: Date(), level: event.level, label: label, message: event.message.description, metadata: merged))
    }

    /// One log line: a JSON object with sorted keys and a trailing newline. Metadata never replaces the four
    /// fixed fields.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> Data {
        var object: [String: JSONLogValue] = [
            "time": .string(time.formatted(timeFormat)),
            "level": .string(level.rawValue),
            "label": .string(label),
            "message": .string(message),
        ]
        for (key, value) in metadata where object[key] == nil {
            object[key] = jsonValue(value)
        }
        var data: Data
        do {
            data = try encoder.encode(object)
        } catch {
            // Only a non-finite double could get here (JSON has no NaN, and `typed` keeps those as text): say so
            // rather than lose the line.
            data = Data(#"{"level":"error","message":"unencodable log line"}"#.utf8)
        }
        data.append(0x0A)
        return data
    }

    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The JSON form of a metadata value: structure kept, numbers and booleans typed.
    static func jsonValue(_ value: Logger.MetadataValue) -> JSONLogValue {
        switch value {
        case .string(let text):
            return .string(text)
        case .stringConvertible(let convertible):
            return typed(convertible)
        case .array(let values):
            return .array(values.map(jsonValue))
        case .dictionary(let values):
            return .object(values.mapValues(jsonValue))
        }
    }

    /// Integers, finite doubles and booleans as themselves; anything else by its description.
    private static func typed(_ value: any CustomStringConvertible & Sendable) -> JSONLogValue {
        switch value {
        case let flag as Bool: return .bool(flag)
        case let number as any BinaryInteger: return Int(exactly: number).map(JSONLogValue.integer) ?? .string(number.description)
        case let number as Double where number.isFinite: return .double(number)
        case let number as Float where number.isFinite: return .double(Double(number))
        default: return .string(value.description)
        }
    }
}

/// One value of a JSON log line (FoundationEssentials has no `JSONSerialization`, so the line is an `Encodable` tree).
enum JSONLogValue: Encodable, Equatable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([JSONLogValue])
    case object([String: JSONLogValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .double(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}

/// How both programs write their logs.
public enum LogFormat: String, Sendable, CaseIterable {
    case plain, json
}

/// The one logging bootstrap of each program's `main`.
public enum VigilLogging {
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                return JSONLogHandler(label: label, level: level)
            case .plain:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
