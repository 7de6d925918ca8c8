/// Runs update handlers side by side, one lane per alert (or digest, or chat): work in one lane runs in arrival order,
/// each item after the one before has finished, so single use and a reboot's press-then-confirm hold; work in
/// different lanes never waits for each other, so an agent that does not answer stalls only its own alert.
actor UpdateLanes {
    private var tails: [String: (task: Task<Void, Never>, ticket: Int)] = [:]
    private var nextTicket = 0

    /// Starts `work` once every earlier item of `lane` has finished; the returned task ends with it.
    func enqueue(_ lane: String, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        let previous = tails[lane]?.task
        let ticket = nextTicket
        nextTicket += 1
        let task = Task {
            await previous?.value
            await work()
            // The task runs on this actor (it inherits the isolation), so the table is updated in order.
            self.finished(lane, ticket: ticket)
        }
        tails[lane] = (task, ticket)
        return task
    }

    /// Forgets a lane whose last item is done, so the table holds only lanes with work.
    private func finished(_ lane: String, ticket: Int) {
        if tails[lane]?.ticket == ticket { tails[lane] = nil }
    }

    /// Lanes with work queued or running (for tests).
    var busyLanes: Int { tails.count }
}

extension TelegramUpdate {
    /// The lane this update waits in: presses on one alert or digest are serialized, as are one chat's messages.
    var lane: String {
        if let query = callbackQuery {
            if let data = query.data.flatMap(CallbackData.init) { return "choice:\(data.shortID)" }
            return "user:\(query.from.id)"
        }
        if let message { return "chat:\(message.chat.id)" }
        return "update:\(updateId)"
    }
}
