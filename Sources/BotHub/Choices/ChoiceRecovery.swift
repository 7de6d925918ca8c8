import ServiceLifecycle

/// Runs `ChoiceHandler.recoverInterruptedChoices()` once at start, beside the other services (an agent that does not
/// answer delays only this), then stays until shutdown: a service that returns would stop the whole group.
struct ChoiceRecovery: Service, CustomStringConvertible {
    let choices: ChoiceHandler

    var description: String { "ChoiceRecovery" }

    func run() async throws {
        await choices.recoverInterruptedChoices()
        try await gracefulShutdown()
    }
}
