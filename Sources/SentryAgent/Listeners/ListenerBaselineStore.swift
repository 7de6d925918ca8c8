import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The accepted listener identities, in `<state_dir>/listeners-baseline.json`, so a restart neither re-forms the
/// baseline (and misses what opened while the agent was down) nor alerts again on what was already reported.
struct ListenerBaselineStore: Sendable {
    let path: String

    init(stateDirectory: String) {
        path = stateDirectory + "/listeners-baseline.json"
    }

    /// The stored baseline; nil when there is none yet (the first start).
    func load() throws -> Set<ListenerIdentity>? {
        guard let bytes = ProcFileSystem(root: FileSystemPath.directory(of: path)).read(FileSystemPath.lastComponent(of: path), limit: 64 << 20)
        else {
            guard access(path, F_OK) != 0 else { throw PrivateFileError("cannot read \(path)") }
            return nil
        }
        return Set(try JSONDecoder().decode([ListenerIdentity].self, from: Data(bytes)))
    }

    /// Replaces the file atomically and durably.
    func save(_ baseline: Set<ListenerIdentity>) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let sorted = baseline.sorted { $0.description < $1.description }
        try PrivateFile.replace(path, with: Array(try encoder.encode(sorted)))
    }
}
