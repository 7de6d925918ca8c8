import Foundation
import Shared

/// Sends a command to an agent and returns its answer (or why it could not be asked, as a `failed` result: never a
/// thrown error, never a silent success). `ResponseDispatcher` does it over the sealed HTTP channel; tests record.
protocol CommandDispatching: Sendable {
    /// The agent's result for `command`; its `commandId` is the command's id.
    func dispatch(_ command: ResponseCommand, to agentID: String, now: Date) async -> ResponseResult
}

extension ResponseDispatcher: CommandDispatching {}
