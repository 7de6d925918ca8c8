import Foundation
import Shared

/// Group commit for alert intake: alerts arriving while a transaction is being written wait and go into the next
/// one, so a burst costs one fsync per batch instead of one per alert. Each caller still gets its answer only after
/// its alert is durable, so a receipt always means "stored".
actor AlertWriteBatcher {
    private let store: HubStore
    private let chats: @Sendable () -> [Int64]
    private let now: @Sendable () -> Date
    private var waiting: [(alert: Alert, continuation: CheckedContinuation<Result<Bool, any Error>, Never>)] = []
    private var isWriting = false
    /// Large enough to amortise the fsync, small enough to keep each reply prompt.
    private let maxBatch = 256

    init(store: HubStore, chats: @escaping @Sendable () -> [Int64], now: @escaping @Sendable () -> Date) {
        self.store = store
        self.chats = chats
        self.now = now
    }

    /// Stores `alert` (in some batch); true if it was new, false for a repeat.
    func record(_ alert: Alert) async throws -> Bool {
        let result = await withCheckedContinuation { continuation in
            waiting.append((alert, continuation))
            if !isWriting {
                isWriting = true
                Task { await self.drain() }
            }
        }
        return try result.get()
    }

    private func drain() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(maxBatch))
            waiting.removeFirst(batch.count)
            do {
                // One alert that cannot be stored fails alone; the others of the batch are stored and acknowledged.
                let results = try await store.recordAlerts(batch.map(\.alert), chats: chats(), now: now())
                for (entry, result) in zip(batch, results) { entry.continuation.resume(returning: result) }
            } catch {
                for entry in batch { entry.continuation.resume(returning: .failure(error)) }
            }
        }
        isWriting = false
    }
}
