import Foundation
import Logging
import Shared

/// Writes the audit trail of choices: every press, authorized or not, every command sent and every result. An entry
/// that cannot be written is logged as an error (the choice itself goes on: refusing a block because the audit
/// table is full would leave the attacker in).
struct ChoiceAuditor: Sendable {
    let store: HubStore
    let logger: Logger
    let now: @Sendable () -> Date

    /// An entry for what `press` did, naming the presser and their Telegram id (none for a press on the hub machine).
    func record(_ event: String, by press: Press, alertID: String?, detail: String) async {
        await record(event, actor: press.name, actorID: press.origin == .hubMachine ? nil : press.userID, alertID: alertID, detail: detail)
    }

    func record(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String) async {
        do {
            try await store.audit(event, actor: actor, actorID: actorID, alertID: alertID, detail: detail, at: now())
        } catch {
            logger.error("cannot write audit entry", metadata: ["event": "\(event)", "error": "\(error)"])
        }
    }
}
