import FoundationEssentials

/// One journald entry as `journalctl -o json` prints it, reduced to what the SSH detectors need.
///
/// journald writes binary-unsafe values (invalid UTF-8, control bytes) as arrays of byte values instead of strings,
/// so `MESSAGE` is accepted in both forms; a `null` message (too large for journalctl) yields no entry.
struct JournalEntry: Sendable, Equatable {
    /// The message text as bytes.
    var message: [UInt8]
    /// The logging process (`_PID`).
    var pid: Int32?
    /// The process name (`_COMM`), e.g. `sshd` or `sshd-session`.
    var command: String?
    /// `__REALTIME_TIMESTAMP`: microseconds since the epoch.
    var realtimeMicroseconds: Int64?
    /// `__CURSOR`: where to resume after this entry.
    var cursor: String

    /// Parses one JSON line, or returns nil if it is not a usable entry.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> JournalEntry? {
        guard let raw = try? JSONDecoder().decode(RawEntry.self, from: Data(buffer: line)) else { return nil }
        guard let cursor = raw.cursor, let message = raw.message?.bytes else { return nil }
        return JournalEntry(
            message: message,
            pid: raw.pid?.text.flatMap { Int32($0) },
            command: raw.command?.text,
            realtimeMicroseconds: raw.realtime?.text.flatMap { Int64($0) },
            cursor: cursor
        )
    }

    /// Seconds since the epoch, if journald gave a timestamp.
    var unixSeconds: Int64? { realtimeMicroseconds.map { $0 / 1_000_000 } }

    private struct RawEntry: Decodable {
        var message: FieldValue?
        var pid: FieldValue?
        var command: FieldValue?
        var realtime: FieldValue?
        var cursor: String?

        enum CodingKeys: String, CodingKey {
            case message = "MESSAGE"
            case pid = "_PID"
            case command = "_COMM"
            case realtime = "__REALTIME_TIMESTAMP"
            case cursor = "__CURSOR"
        }
    }

    /// A journal field: a string, an array of byte values, or (for repeated fields) an array of those.
    private enum FieldValue: Decodable {
        case text(String)
        case bytes([UInt8])
        case none

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .none
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let bytes = try? container.decode([UInt8].self) {
                self = .bytes(bytes)
            } else if let values = try? container.decode([String].self), let first = values.first {
                self = .text(first)
            } else {
                self = .none
            }
        }

        var bytes: [UInt8]? {
            switch self {
            case .text(let text): Array(text.utf8)
            case .bytes(let bytes): bytes
            case .none: nil
            }
        }

        var text: String? {
            switch self {
            case .text(let text): text
            case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
            case .none: nil
            }
        }
    }
}
