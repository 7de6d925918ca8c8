import Foundation
import Shared

/// The agents this hub knows: ids, keys, and the only addresses commands are ever sent to.
///
/// Enrolled agents are re-read when `agents.yml` changes, so `bothub agent add`, `remove` and `rotate-key` take effect
/// without restarting the hub.
final class AgentDirectory: AgentKeyLookup, @unchecked Sendable {
    // `enrolled` and `enrolledStamp` are only touched under `lock`.
    private let lock = NSLock()
    private let configured: [String: HubConfiguration.AgentEntry]
    private let enrollment: AgentEnrollmentFile?
    private var enrolled: [String: HubConfiguration.AgentEntry] = [:]
    private var enrolledStamp: Date?
    private let now: @Sendable () -> Date

    /// Agents from the config file win over enrolled ones with the same id.
    init(configured: [HubConfiguration.AgentEntry], enrollment: AgentEnrollmentFile? = nil, now: @escaping @Sendable () -> Date = Date.init) {
        self.configured = Dictionary(configured.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.enrollment = enrollment
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
        return lock.withLock {
            if stamp != enrolledStamp {
                enrolled = Dictionary(((try? enrollment.agentEntries()) ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                enrolledStamp = stamp
            }
            return enrolled
        }
    }
}
