import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The identity detector's memory across restarts, in `<state_dir>/identity/`: `baseline.json` (each watched file's
/// stamp and hash) and `copies/` (the content of small critical text files, 0600: the "before" of the next difference
/// and what a Revert restores). Without it, a change made while the agent was down could not be said in words.
struct IdentityStore: Sendable {
    let directory: String

    struct Record: Codable, Sendable, Equatable {
        var stamp: FileStamp
        var sha256: String
        var category: IdentityCategory
    }

    init(stateDirectory: String) {
        directory = stateDirectory + "/identity"
    }

    var baselinePath: String { directory + "/baseline.json" }

    /// The stored records; nil when there is none yet (the first start).
    func load() throws -> [String: Record]? {
        guard let bytes = ProcFileSystem(root: directory).read("baseline.json", limit: 64 << 20) else {
            guard access(baselinePath, F_OK) != 0 else { throw PrivateFileError("cannot read \(baselinePath)") }
            return nil
        }
        return try JSONDecoder().decode([String: Record].self, from: Data(bytes))
    }

    func save(_ records: [String: Record]) throws {
        try PrivateFile.makeDirectory(directory + "/copies")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try PrivateFile.replace(baselinePath, with: Array(try encoder.encode(records)))
    }

    var sshdEffectivePath: String { directory + "/sshd-effective.txt" }

    /// The last `sshd -T` output kept; nil when none was kept yet.
    func loadSSHDEffective() -> [UInt8]? {
        ProcFileSystem(root: directory).read("sshd-effective.txt", limit: 1 << 20)
    }

    func saveSSHDEffective(_ output: [UInt8]) throws {
        try PrivateFile.makeDirectory(directory)
        try PrivateFile.replace(sshdEffectivePath, with: output)
    }

    /// Where the copy of `path` is kept: the path with `%` and `/` escaped, so every name maps to one file.
    func copyPath(_ path: String) -> String {
        directory + "/copies/" + path.replacing("%", with: "%25").replacing("/", with: "%2F")
    }

    /// The kept content of `path`: the current one, or with `previous` the one before the last change (Revert's).
    func loadCopy(_ path: String, previous: Bool = false) -> [UInt8]? {
        let name = FileSystemPath.lastComponent(of: copyPath(path)) + (previous ? Self.previousSuffix : "")
        return ProcFileSystem(root: directory + "/copies").read(name, limit: IdentityCategory.copyLimit)
    }

    static let previousSuffix = ".previous"

    /// Keeps `content` as the current copy; the copy it replaces becomes the previous one.
    func saveCopy(_ path: String, _ content: [UInt8]) throws {
        try PrivateFile.makeDirectory(directory + "/copies")
        let current = copyPath(path)
        if access(current, F_OK) == 0, rename(current, current + Self.previousSuffix) != 0 {
            throw PrivateFileError("cannot keep the previous copy of \(path): \(String(cString: strerror(errno)))")
        }
        try PrivateFile.replace(current, with: content)
    }

    /// Forgets the copy from before the last change of `path` (an accepted change); returns why it failed, or nil.
    func discardPreviousCopy(_ path: String) -> String? {
        let previous = copyPath(path) + Self.previousSuffix
        guard unlink(previous) == 0 || errno == ENOENT else { return "cannot remove \(previous): \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Forgets the current copy of a removed file; the previous one stays for a Revert.
    func removeCopy(_ path: String) {
        let current = copyPath(path)
        rename(current, current + Self.previousSuffix)
    }
}
