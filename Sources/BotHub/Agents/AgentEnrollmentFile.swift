import Foundation
import Shared

/// Agents enrolled with `bothub agent add`, kept in `<state_dir>/agents.yml` (mode 0600: it holds keys).
///
/// Each entry is checked on its own: one bad entry is rejected with its reason (and shown by `check-config`,
/// `agent list` and the hub's log) while the others keep working. A file that cannot be read or parsed as a whole is
/// an error, never "no agents": that would lock every enrolled agent out without a word.
struct AgentEnrollmentFile {
    struct Entry: Equatable {
        var id: String
        var url: String
        var key: String
        /// Keys replaced by `rotate-key`, each accepted until its grace ends.
        var retiredKeys: [RetiredKey] = []

        init(id: String, url: String, key: String, retiredKeys: [RetiredKey] = []) {
            self.id = id
            self.url = url
            self.key = key
            self.retiredKeys = retiredKeys
        }

        /// Why the hub cannot use this entry, or nil.
        var problem: String? {
            guard AgentID.isValid(id) else { return "id \(id): use 1–64 letters, digits, '.', '_' or '-'" }
            guard HTTPEndpoint(url: url) != nil else { return "url \(url): not an http://host:port URL" }
            guard AgentKey(base64: key) != nil else { return "key: not a base64 32-byte key" }
            guard retiredKeys.allSatisfy({ AgentKey(base64: $0.key) != nil }) else { return "retiredKeys: not a base64 32-byte key" }
            return nil
        }

        var configurationEntry: HubConfiguration.AgentEntry? {
            guard problem == nil, let endpoint = HTTPEndpoint(url: url), let key = AgentKey(base64: key) else { return nil }
            let retired = retiredKeys.compactMap { retired in
                AgentKey(base64: retired.key).map { HubConfiguration.RetiredKey(key: $0, validUntil: retired.validUntil) }
            }
            return HubConfiguration.AgentEntry(id: id, responseEndpoint: endpoint, key: key, retiredKeys: retired)
        }
    }

    /// A key replaced by a rotation, as stored.
    struct RetiredKey: Equatable {
        var key: String
        var validUntil: Date
    }

    /// An entry the hub cannot use, with the reason.
    struct RejectedEntry: Equatable, CustomStringConvertible {
        /// 1-based position in the file.
        var position: Int
        var id: String?
        var reason: String

        var description: String { "agents.yml entry \(position)\(id.map { " (\($0))" } ?? ""): \(reason)" }
    }

    /// The file's usable entries and the rejected ones.
    struct Contents {
        var entries: [Entry] = []
        var rejected: [RejectedEntry] = []
    }

    let path: String

    init(stateDirectory: String) {
        path = "\(stateDirectory)/agents.yml"
    }

    /// Reads every entry; throws only when the file as a whole cannot be read or is not a YAML list.
    func load() throws -> Contents {
        guard FileManager.default.fileExists(atPath: path) else { return Contents() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Self.problem("cannot read \(path): \((error as NSError).localizedFailureReason ?? "\(error)")")
        }
        let root: YAMLNode?
        do {
            root = try YAMLNode.parse(text)
        } catch {
            throw Self.problem("\(path): \(error)")
        }
        var contents = Contents()
        let nodes: [YAMLNode]
        switch root?.kind {
        case nil: nodes = []
        case .scalar(let scalar)? where scalar.text.isEmpty || scalar.isNull: nodes = []
        case .sequence(let sequence)?: nodes = sequence
        default: throw Self.problem("\(path) is not a list of agents (each `- id: …, url: …, key: …`)")
        }
        var seen: Set<String> = []
        for (index, node) in nodes.enumerated() {
            let id = node["id"]?.scalar?.text
            do throws(EntryProblem) {
                let entry = try Entry(node)
                if let problem = entry.problem {
                    contents.rejected.append(RejectedEntry(position: index + 1, id: id, reason: problem))
                } else if !seen.insert(entry.id).inserted {
                    contents.rejected.append(RejectedEntry(position: index + 1, id: id, reason: "duplicate id \(entry.id) (an earlier entry has it)"))
                } else {
                    contents.entries.append(entry)
                }
            } catch {
                contents.rejected.append(RejectedEntry(position: index + 1, id: id, reason: error.reason))
            }
        }
        return contents
    }

    /// The usable entries, for changing the file: refused while any entry is rejected, because writing the file back
    /// would silently drop it.
    func read() throws -> [Entry] {
        let contents = try load()
        guard contents.rejected.isEmpty else {
            throw Self.problem(
                "fix \(path) first (or remove the bad entries): " + contents.rejected.map(\.description).joined(separator: "; "))
        }
        return contents.entries
    }

    /// Adds an agent; refuses a duplicate id so a key is never overwritten by accident.
    func add(_ entry: Entry) throws {
        var entries = try read()
        guard !entries.contains(where: { $0.id == entry.id }) else { throw Self.problem("agent \(entry.id) is already enrolled") }
        entries.append(entry)
        try write(entries)
    }

    /// Removes an agent; its key stops working at once.
    func remove(_ id: String) throws {
        let entries = try read()
        guard entries.contains(where: { $0.id == id }) else { throw Self.problem("agent \(id) is not enrolled") }
        try write(entries.filter { $0.id != id })
    }

    /// Gives an agent a new key. The replaced key stays valid for `grace`, and so does every earlier key whose grace
    /// has not ended: an agent still holding any of them keeps delivering until it is updated. Expired keys are dropped.
    func rotateKey(_ id: String, newKey: AgentKey, grace: TimeInterval, now: Date) throws {
        var entries = try read()
        guard let index = entries.firstIndex(where: { $0.id == id }) else { throw Self.problem("agent \(id) is not enrolled") }
        var retired = entries[index].retiredKeys.filter { now < $0.validUntil }
        if grace > 0 { retired.append(RetiredKey(key: entries[index].key, validUntil: now.addingTimeInterval(grace))) }
        entries[index].retiredKeys = retired
        entries[index].key = newKey.base64
        try write(entries)
    }

    private func write(_ entries: [Entry]) throws {
        let text = "# Written by `bothub agent`. Holds agent keys: keep it private.\n" + Self.yaml(entries)
        do {
            try PrivateFile.makeDirectory((path as NSString).deletingLastPathComponent)
            try PrivateFile.replace(path, with: Array(text.utf8))
        } catch {
            throw Self.problem(error.description)
        }
    }

    /// The usable enrolled agents as configuration entries (rejected ones are left out; `load()` names them).
    func agentEntries() throws -> [HubConfiguration.AgentEntry] {
        try load().entries.compactMap(\.configurationEntry)
    }

    private static func problem(_ reason: String) -> ConfigError {
        ConfigError(problems: [ConfigProblem(field: "agents", reason: reason)])
    }
}
