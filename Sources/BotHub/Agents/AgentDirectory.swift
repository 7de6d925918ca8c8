import Foundation
import Logging
import Shared
import Synchronization

/// The agents this hub knows: ids, keys, and the only addresses commands are ever sent to.
///
/// Enrolled agents are re-read when `agents.yml` changes, so `bothub agent add`, `remove` and `rotate-key` take effect
/// without restarting the hub. A bad entry is logged and left out; a file that cannot be parsed at all is logged and
/// the agents read before stay valid, so a botched hand edit does not lock every agent out.
final class AgentDirectory: AgentKeyLookup, Sendable {
    private struct Enrolled {
        var agents: [String: HubConfiguration.AgentEntry] = [:]
        var stamp: Date?
        /// The first read is logged by the hub's start check (`HubSetupCheck`); reloads are logged here.
        var reloaded = false
    }

    private let configured: [String: HubConfiguration.AgentEntry]
    private let enrollment: AgentEnrollmentFile?
    private let enrolled = Mutex(Enrolled())
    private let logger: Logger?
    private let now: @Sendable () -> Date

    /// Agents from the config file win over enrolled ones with the same id.
    init(
        configured: [HubConfiguration.AgentEntry], enrollment: AgentEnrollmentFile? = nil, logger: Logger? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configured = Dictionary(configured.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.enrollment = enrollment
        self.logger = logger
        self.now = now
    }

    var ids: [String] {
        Set(configured.keys).union(currentEnrolled().keys).sorted()
    }

    func entry(for id: String) -> HubConfiguration.AgentEntry? {
        configured[id] ?? currentEnrolled()[id]
    }

    func keys(for agentID: String) async -> [AgentKey] {
        entry(for: agentID)?.keys(at: now()) ?? []
    }

    private func currentEnrolled() -> [String: HubConfiguration.AgentEntry] {
        guard let enrollment else { return [:] }
        let stamp = (try? FileManager.default.attributesOfItem(atPath: enrollment.path)[.modificationDate]) as? Date
        return enrolled.withLock { state in
            guard stamp != state.stamp || !state.reloaded else { return state.agents }
            let logger = state.reloaded ? logger : nil
            state.stamp = stamp
            state.reloaded = true
            do {
                let contents = try enrollment.load()
                for rejected in contents.rejected {
                    logger?.error("enrolled agent rejected; it cannot deliver alerts until fixed", metadata: ["entry": "\(rejected)"])
                }
                let entries = contents.entries.compactMap(\.configurationEntry)
                state.agents = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            } catch {
                logger?.error(
                    "cannot read the enrolled agents; keeping the ones read before", metadata: ["error": "\(error)", "kept": "\(state.agents.count)"])
            }
            return state.agents
        }
    }
}
