import Foundation
import Shared
import Yams

/// Agents enrolled with `bothub agent add`, kept in `<state_dir>/agents.yml` (mode 0600: it holds keys).
struct AgentEnrollmentFile {
    struct Entry: Codable, Equatable {
        var id: String
        var url: String
        var key: String
        /// Set by `rotate-key`: the old key, accepted until `previousKeyUntil`.
        var previousKey: String?
        var previousKeyUntil: Date?
    }

    let path: String

    init(stateDirectory: String) {
        path = "\(stateDirectory)/agents.yml"
    }

    func read() throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try YAMLDecoder().decode([Entry].self, from: text)
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

    /// Gives an agent a new key, keeping the old one valid for `grace` so alerts sealed meanwhile still arrive.
    func rotateKey(_ id: String, newKey: AgentKey, grace: TimeInterval, now: Date) throws {
        var entries = try read()
        guard let index = entries.firstIndex(where: { $0.id == id }) else { throw Self.problem("agent \(id) is not enrolled") }
        entries[index].previousKey = entries[index].key
        entries[index].previousKeyUntil = now.addingTimeInterval(grace)
        entries[index].key = newKey.base64
        try write(entries)
    }

    private func write(_ entries: [Entry]) throws {
        let text = "# Written by `bothub agent`. Holds agent keys: keep it private.\n" + (try YAMLEncoder().encode(entries))
        do {
            try PrivateFile.makeDirectory((path as NSString).deletingLastPathComponent)
            try PrivateFile.replace(path, with: Array(text.utf8))
        } catch {
            throw Self.problem(error.description)
        }
    }

    /// The enrolled agents as configuration entries.
    func agentEntries() throws -> [HubConfiguration.AgentEntry] {
        try read().compactMap { entry in
            guard let endpoint = HTTPEndpoint(url: entry.url), let key = AgentKey(base64: entry.key) else { return nil }
            return HubConfiguration.AgentEntry(
                id: entry.id,
                responseEndpoint: endpoint,
                key: key,
                previousKey: entry.previousKey.flatMap(AgentKey.init(base64:)),
                previousKeyUntil: entry.previousKeyUntil
            )
        }
    }

    private static func problem(_ reason: String) -> ConfigError {
        ConfigError(problems: [ConfigProblem(field: "agents", reason: reason)])
    }
}
