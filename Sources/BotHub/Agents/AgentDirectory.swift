import Shared

/// The agents this hub knows: ids, keys, and the only addresses commands are ever sent to.
struct AgentDirectory: AgentKeyLookup {
    private let entries: [String: HubConfiguration.AgentEntry]

    /// Agents from the config file win over enrolled ones with the same id.
    init(configured: [HubConfiguration.AgentEntry], enrolled: [HubConfiguration.AgentEntry] = []) {
        var entries: [String: HubConfiguration.AgentEntry] = [:]
        for entry in enrolled { entries[entry.id] = entry }
        for entry in configured { entries[entry.id] = entry }
        self.entries = entries
    }

    var ids: [String] { entries.keys.sorted() }

    func entry(for id: String) -> HubConfiguration.AgentEntry? { entries[id] }

    func keys(for agentID: String) async -> [AgentKey] {
        entries[agentID].map { [$0.key] } ?? []
    }
}
