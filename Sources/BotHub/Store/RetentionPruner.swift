import Foundation
import Logging
import ServiceLifecycle

/// Keeps the hub's database bounded: prunes everything older than `hub.retention` once at start and then daily, and
/// logs what it removed. Without it, a flood (or a year of normal traffic) grows the file forever.
struct RetentionPruner: Service {
    let store: HubStore
    let retention: TimeInterval
    var interval: Duration = .seconds(86_400)
    let logger: Logger
    let now: @Sendable () -> Date

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await pruneOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One prune; a failure is logged and the next day's run tries again.
    @discardableResult
    func pruneOnce() async -> PruneCounts? {
        let cutoff = now().addingTimeInterval(-retention)
        do {
            let counts = try await store.prune(before: cutoff)
            logger.info(
                "pruned the hub database",
                metadata: [
                    "before": "\(MessageTime.format(cutoff))", "alerts": "\(counts.alerts)", "messages": "\(counts.messages)",
                    "digests": "\(counts.digests)", "confirmations": "\(counts.confirmations)", "audit": "\(counts.auditEntries)",
                    "updates": "\(counts.processedUpdates)", "blocks": "\(counts.blocks)", "mutes": "\(counts.mutes)",
                ]
            )
            return counts
        } catch {
            logger.error("cannot prune the hub database", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

extension RetentionPruner: CustomStringConvertible {
    /// How the service group names this service in its logs.
    var description: String { "RetentionPruner" }
}
