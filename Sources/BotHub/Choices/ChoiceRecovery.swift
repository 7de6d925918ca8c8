import ServiceLifecycle

/// Runs `ChoiceHandler.recoverInterruptedChoices()` and `FleetUpgradeChoices.recoverInterruptedUpgrades()` once at
/// start, beside the other services (an agent that does not answer delays only this), and ends: the hub runs it with
/// `successTerminationBehavior: .ignore` (`HubRuntime.groupConfiguration`), so its end stops nothing else, and a
/// shutdown meanwhile cancels it.
struct ChoiceRecovery: Service, CustomStringConvertible {
    let choices: ChoiceHandler

    var description: String { "ChoiceRecovery" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            _ = await choices.recoverInterruptedChoices()
            _ = await FleetUpgradeChoices(handler: choices).recoverInterruptedUpgrades()
        }
    }
}
