import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// An upgrade that was started and whose end has not been reported yet.
struct UpgradeRecord: Codable, Sendable, Equatable {
    var commandId: UUID
    var alertId: UUID?
    var pins: [String]
    var startedAt: Date
    /// The transient unit running it, or nil for a direct process.
    var unit: String?
    /// The direct process and its `/proc/<pid>/stat` start time (so a reused pid is not mistaken for it).
    var pid: Int32?
    var pidStartTime: UInt64?
}

/// The in-flight upgrades on disk (`<state>/upgrades`): `<id>.json` written durably before apt starts, `<id>.log` with
/// apt's output, `<id>.exit` with its exit status when the agent saw it end. All three go once the end is in the outbox.
struct UpgradeLedger: Sendable {
    let directory: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func recordPath(_ id: UUID) -> String { "\(directory)/\(fileName(id, "json"))" }
    func logPath(_ id: UUID) -> String { "\(directory)/\(fileName(id, "log"))" }
    func exitPath(_ id: UUID) -> String { "\(directory)/\(fileName(id, "exit"))" }

    private func fileName(_ id: UUID, _ suffix: String) -> String { "\(id.uuidString.lowercased()).\(suffix)" }

    /// A file of the ledger, empty when missing.
    private func read(_ name: String, limit: Int = 1 << 20) -> [UInt8] {
        ProcFileSystem(root: directory).read(name, limit: limit) ?? []
    }

    func save(_ record: UpgradeRecord) throws(Failure) {
        do {
            try PrivateFile.makeDirectory(directory)
            try PrivateFile.replace(recordPath(record.commandId), with: Array(try WireCoding.encode(record)))
        } catch {
            throw Failure(description: "cannot record the upgrade in \(directory): \(error)")
        }
    }

    /// Every recorded upgrade; a record that does not decode is named in `unreadable` (and left for a human).
    func records() -> (records: [UpgradeRecord], unreadable: [String]) {
        var records: [UpgradeRecord] = []
        var unreadable: [String] = []
        for name in listDirectory(directory) ?? [] where name.hasSuffix(".json") {
            let path = "\(directory)/\(name)"
            do {
                records.append(try WireCoding.decode(UpgradeRecord.self, from: read(name)))
            } catch {
                unreadable.append("\(path): \(error)")
            }
        }
        return (records.sorted { $0.startedAt < $1.startedAt }, unreadable)
    }

    /// Writes the exit status the agent reaped (`exited 100`, `signalled 9`).
    func saveExit(_ id: UUID, _ exit: ChildExit) throws(Failure) {
        let text: String
        switch exit {
        case .exited(let status): text = "exited \(status)\n"
        case .signalled(let signal): text = "signalled \(signal)\n"
        }
        do {
            try PrivateFile.replace(exitPath(id), with: Array(text.utf8))
        } catch {
            throw Failure(description: "cannot record the upgrade's exit: \(error)")
        }
    }

    /// The recorded exit status, if the agent saw the process end.
    func exit(_ id: UUID) -> ChildExit? {
        let words = String(decoding: read(fileName(id, "exit")), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 2, let value = Int32(words[1]) else { return nil }
        return words[0] == "exited" ? .exited(value) : .signalled(value)
    }

    /// The last `lines` lines of apt's output, at most `bytes` bytes (cut at the front).
    func outputTail(_ id: UUID, lines: Int = 15, bytes: Int = 1500) -> String {
        let text = String(decoding: read(fileName(id, "log"), limit: 16 << 20).suffix(64 * 1024), as: UTF8.self)
        let tail = text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
        return tail.utf8.count <= bytes ? tail : "…" + String(decoding: Array(tail.utf8).suffix(bytes), as: UTF8.self)
    }

    /// Forgets an upgrade whose end is in the outbox.
    func remove(_ id: UUID) {
        for path in [exitPath(id), logPath(id), recordPath(id)] { unlink(path) }
    }
}
