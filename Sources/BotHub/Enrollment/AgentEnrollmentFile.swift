import Foundation
import Shared
import Yams

/// Agents enrolled with `bothub agent add`, kept in `<state_dir>/agents.yml` (mode 0600: it holds keys).
struct AgentEnrollmentFile {
    struct Entry: Codable, Equatable {
        var id: String
        var url: String
        var key: String
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
        guard !entries.contains(where: { $0.id == entry.id }) else {
            throw ConfigError(problems: [ConfigProblem(field: "agents", reason: "agent \(entry.id) is already enrolled")])
        }
        entries.append(entry)
        try write(entries)
    }

    private func write(_ entries: [Entry]) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let text = "# Written by `bothub agent add`. Holds agent keys: keep it private.\n" + (try YAMLEncoder().encode(entries))
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(problems: [ConfigProblem(field: "hub.state_dir", reason: "cannot write \(temporary)")])
        }
        _ = try FileManager.default.replaceItemAt(URL(fileURLWithPath: path), withItemAt: URL(fileURLWithPath: temporary))
    }

    /// The enrolled agents as configuration entries.
    func agentEntries() throws -> [HubConfiguration.AgentEntry] {
        try read().compactMap { entry in
            guard let endpoint = HTTPEndpoint(url: entry.url), let key = AgentKey(base64: entry.key) else { return nil }
            return HubConfiguration.AgentEntry(id: entry.id, responseEndpoint: endpoint, key: key)
        }
    }
}
