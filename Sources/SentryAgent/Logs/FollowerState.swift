import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Everything one log source saves after each batch: positions per file (or the journal cursor) and the consumer's
/// commit mark, in one file written atomically, so they can never disagree after a crash.
struct FollowerState: Codable, Sendable, Equatable {
    /// Checkpoints by followed path.
    var files: [String: PathCheckpoint] = [:]
    /// journald's cursor of the last entry handed to the consumer.
    var journalCursor: String?
    /// The consumer's own commit mark (see `LineConsumer.flush()`), saved with the positions it belongs to.
    var consumerMark: Int64?
}

/// Loads and saves a source's `FollowerState`. Tests use an in-memory store.
protocol FollowerStateStore: AnyObject {
    /// The last saved state, or nil if none (or unreadable: the follower then starts as on first install).
    func load() -> FollowerState?
    /// Replaces the saved state; after a crash either the old or the new state is found, never a mix.
    func save(_ state: FollowerState) throws
}

/// Why a state file could not be written.
struct FollowerStateError: Error, CustomStringConvertible {
    let description: String
}

/// A state file in the agent's state directory (`<state_dir>/positions/<source>.json`), replaced by rename.
///
/// Not fsync'd per batch: a rename of a fully written file survives a killed process (the case that matters many
/// times a day); after a power cut ext4's rename heuristics still give the old or the new file, at worst a batch old.
final class FileFollowerStateStore: FollowerStateStore {
    let path: String
    private let encoder = JSONEncoder()

    init(path: String) {
        self.path = path
        encoder.outputFormatting = [.sortedKeys]
    }

    /// The store for `source` under `stateDirectory`, creating `positions/` if needed.
    convenience init(stateDirectory: String, source: String) {
        let directory = stateDirectory + "/positions"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.init(path: directory + "/" + source + ".json")
    }

    func load() -> FollowerState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(FollowerState.self, from: data)
    }

    func save(_ state: FollowerState) throws {
        let data = try encoder.encode(state)
        // The one durable replace (temporary file, write-all, fsync, rename, directory fsync): a position that
        // survives a crash while its file is torn or empty would restart reading from the start or the end.
        do {
            try PrivateFile.replace(path, with: Array(data))
        } catch {
            throw FollowerStateError(description: error.description)
        }
    }
}

/// A store that keeps the state in memory (tests, and `replay --follow` without a state directory).
final class MemoryFollowerStateStore: FollowerStateStore {
    private(set) var saved: FollowerState?
    private(set) var saveCount = 0

    init(_ state: FollowerState? = nil) {
        self.saved = state
    }

    func load() -> FollowerState? { saved }

    func save(_ state: FollowerState) throws {
        saved = state
        saveCount += 1
    }
}
