/// `getUpdates`: confirmation by offset, the `allowed_updates` filter, long polling that answers as soon as an
/// update arrives, and the 409 a poll gets when a newer one (another bot instance) replaces it.
extension FakeTelegramServer {
    func getUpdates(_ parameters: [String: TelegramJSON]) async throws(FakeTelegramFailure) -> TelegramJSON {
        if hasWebhook { throw .webhookActive }
        if let offset = parameters["offset"]?.int64Value { updates.confirm(offset: offset) }
        if let kinds = parameters["allowed_updates"]?.arrayValue {
            let names = kinds.compactMap(\.stringValue)
            // Telegram ignores unknown kinds silently; a misspelt one would mean updates the hub never gets.
            let known = Set((spec.types["Update"]?.fields ?? []).map(\.name)).subtracting(["update_id"])
            recordViolations(names.filter { !known.contains($0) }.map { "allowed_updates: unknown update type \"\($0)\"" }, method: "getUpdates")
            updates.setAllowed(names)
        }
        let limit = Int(min(100, max(1, parameters["limit"]?.int64Value ?? 100)))
        let timeout = max(0, parameters["timeout"]?.int64Value ?? 0)
        // Telegram keeps one poll per bot: a newer request ends the waiting one with 409.
        finishPendingPoll(.superseded)
        if updates.isEmpty && timeout > 0 {
            let outcome = await waitForUpdate(upTo: .seconds(timeout))
            if outcome == .superseded { throw .otherPoller }
        }
        return .array(updates.batch(limit: limit))
    }

    /// Adds an update and wakes the waiting poll; nil when `allowed_updates` excludes the kind.
    @discardableResult
    func enqueue(kind: String, payload: TelegramJSON) -> Int64? {
        let id = updates.enqueue(kind: kind, payload: payload)
        if id != nil { finishPendingPoll(.ready) }
        return id
    }

    /// Ends the waiting poll (only the one with `id`, when given).
    func finishPendingPoll(_ outcome: FakeTelegramPendingPoll.Outcome, id: Int? = nil) {
        guard let poll = pendingPoll, id == nil || poll.id == id else { return }
        pendingPoll = nil
        poll.timer.cancel()
        poll.continuation.resume(returning: outcome)
    }

    private func waitForUpdate(upTo timeout: Duration) async -> FakeTelegramPendingPoll.Outcome {
        lastPollID += 1
        let id = lastPollID
        let wait = configuration.maximumPollWait.map { min($0, timeout) } ?? timeout
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: wait)
                    guard !Task.isCancelled else { return }
                    await self?.finishPendingPoll(.timedOut, id: id)
                }
                pendingPoll = FakeTelegramPendingPoll(id: id, continuation: continuation, timer: timer)
            }
        } onCancel: {
            Task { await self.finishPendingPoll(.cancelled, id: id) }
        }
    }
}
