import Foundation
import Logging
import Shared

/// Receives agents' package inventories (`POST /inventory`, sealed): decoded, checked to be the sender's own, stored
/// in place of the previous one. The next fleet view matches it against the stored feed.
struct InventoryIntake: Sendable {
    /// The route's body limit: a 3,000-package host's inventory is about 300 KB of JSON.
    static let maxBodyBytes = 1 << 20

    let store: HubStore
    let logger: Logger
    let now: @Sendable () -> Date

    func receive(_ envelope: OpenedEnvelope) async -> SealedReply {
        let inventory: PackageInventory
        do {
            inventory = try WireCoding.decode(PackageInventory.self, from: envelope.plaintext)
        } catch {
            logger.notice("refused an inventory that does not decode", metadata: ["agent": "\(envelope.agentID)", "error": "\(error)"])
            return SealedReply(status: .unprocessable, body: Array("not a PackageInventory".utf8))
        }
        guard inventory.agent == envelope.agentID else {
            return SealedReply(status: .unprocessable, body: Array("not an inventory of this agent".utf8))
        }
        do {
            try await store.saveInventory(inventory, receivedAt: now())
            logger.info(
                "inventory received",
                metadata: ["agent": "\(inventory.agent)", "release": "\(inventory.release)", "sources": "\(inventory.sources.count)"])
            return SealedReply(body: Array("{}".utf8))
        } catch {
            logger.error("cannot store an inventory", metadata: ["agent": "\(inventory.agent)", "error": "\(error)"])
            return SealedReply(status: .serviceUnavailable, body: [])
        }
    }
}
