import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The listener identities not to alert on, in `<state_dir>/listeners-baseline.json`, so a restart neither re-forms
/// the baseline (and misses what opened while the agent was down) nor alerts again on what was already reported.
struct ListenerBaselineStore: Sendable {
    let path: String

    init(stateDirectory: String) {
        path = stateDirectory + "/listeners-baseline.json"
    }

    /// The stored baseline; nil when there is none yet (the first start). A file from before Accept existed (a bare
    /// list) holds accepted identities.
    func load() throws -> ListenerBaseline? {
        guard let bytes = ProcFileSystem(root: FileSystemPath.directory(of: path)).read(FileSystemPath.lastComponent(of: path), limit: 64 << 20)
        else {
            guard access(path, F_OK) != 0 else { throw PrivateFileError("cannot read \(path)") }
            return nil
        }
        if bytes.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }) == UInt8(ascii: "[") {
            return ListenerBaseline(accepted: Set(try JSONDecoder().decode([ListenerIdentity].self, from: Data(bytes))))
        }
        let file = try JSONDecoder().decode(File.self, from: Data(bytes))
        return ListenerBaseline(accepted: Set(file.accepted), reported: Set(file.reported))
    }

    /// Replaces the file atomically and durably.
    func save(_ baseline: ListenerBaseline) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sorted = { (set: Set<ListenerIdentity>) in set.sorted { $0.description < $1.description } }
        try PrivateFile.replace(path, with: Array(try encoder.encode(File(accepted: sorted(baseline.accepted), reported: sorted(baseline.reported)))))
    }

    private struct File: Codable {
        var accepted: [ListenerIdentity]
        var reported: [ListenerIdentity]
    }
}

/// The identities the detector does not alert on: those an operator accepted (and those present at the first
/// start), and those already reported. The difference matters to the responses: a reported listener whose process
/// was killed or whose service was stopped is forgotten, so its return is news; an accepted one never alerts again.
struct ListenerBaseline: Sendable, Equatable {
    var accepted: Set<ListenerIdentity> = []
    var reported: Set<ListenerIdentity> = []

    /// Everything not to alert on.
    func contains(_ identity: ListenerIdentity) -> Bool {
        accepted.contains(identity) || reported.contains(identity)
    }

    mutating func apply(_ decision: ListenerDecision) {
        switch decision {
        case .accept(let identity):
            accepted.insert(identity)
            reported.remove(identity)
        case .forget(let identity):
            reported.remove(identity)
        }
    }
}

/// An operator's answer to a new listener that changes what the detector alerts on.
enum ListenerDecision: Sendable, Equatable {
    /// Accept: never alert on it again.
    case accept(ListenerIdentity)
    /// Its process was killed or its service stopped: alert again if it comes back.
    case forget(ListenerIdentity)
}
