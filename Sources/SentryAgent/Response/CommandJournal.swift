import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's memory of command ids, so nothing runs twice, also across a restart: a JSON line per event in
/// `<state_dir>/responses.journal`, fsync'd before the command runs (`started`) and before its answer leaves
/// (`finished`, with the result).
///
/// A command is only accepted before its `expires_at`, so an entry is kept until a day after that and dropped when
/// the journal is next opened; the file stays as small as the commands still in flight.
final class CommandJournal {
    /// One journal line.
    struct Entry: Codable, Equatable {
        var id: UUID
        var expiresAt: Date
        /// nil for `started`: the command began and its outcome was never recorded (the agent stopped mid-way).
        var result: ResponseResult?
    }

    /// Why the journal cannot be used.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private var entries: [UUID: Entry] = [:]
    private var descriptor: Int32 = -1

    /// Opens (creating if needed) the journal at `path`, dropping entries expired for more than `retention`.
    init(path: String, now: Date = Date(), retention: TimeInterval = 86_400) throws(Failure) {
        self.path = path
        var total = 0
        if let data = FileManager.default.contents(atPath: path) {
            let decoder = WireCoding.decoder()
            for line in data.split(separator: UInt8(ascii: "\n")) {
                total += 1
                // A torn last line (a crash mid-write) is skipped: its command had not started, or is recorded before.
                guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else { continue }
                if entry.expiresAt.addingTimeInterval(retention) > now {
                    entries[entry.id] = entry
                }
            }
        }
        if total > entries.count {
            try Self.rewrite(path: path, with: entries.values.sorted { $0.expiresAt < $1.expiresAt })
        }
        descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        do {
            try PrivateFile.syncDirectory(containing: path)
        } catch {
            throw Failure(description: error.description)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// What is known of `id`: nil if never seen.
    func entry(for id: UUID) -> Entry? { entries[id] }

    /// Number of remembered commands.
    var count: Int { entries.count }

    /// Records that `command` is starting; durable when this returns.
    func recordStarted(_ command: ResponseCommand) throws(Failure) {
        try append(Entry(id: command.id, expiresAt: command.expiresAt, result: nil))
    }

    /// Records the result of `command`; durable when this returns.
    func recordFinished(_ command: ResponseCommand, result: ResponseResult) throws(Failure) {
        try append(Entry(id: command.id, expiresAt: command.expiresAt, result: result))
    }

    private func append(_ entry: Entry) throws(Failure) {
        let line: [UInt8]
        do {
            line = try WireCoding.encode(entry) + [UInt8(ascii: "\n")]
        } catch {
            throw Failure(description: "cannot encode a journal entry: \(error)")
        }
        do {
            try PrivateFile.writeAll(line, to: descriptor, path: path)
        } catch {
            throw Failure(description: error.description)
        }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
        entries[entry.id] = entry
    }

    /// Replaces the journal with `entries` atomically: write a temporary file, fsync, rename, fsync the directory.
    private static func rewrite(path: String, with entries: [Entry]) throws(Failure) {
        var bytes: [UInt8] = []
        for entry in entries {
            guard let line = try? WireCoding.encode(entry) else { continue }
            bytes += line + [UInt8(ascii: "\n")]
        }
        do {
            try PrivateFile.replace(path, with: bytes)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
