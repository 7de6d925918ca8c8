import Shared

/// What a responder reports for one command: the outcome and a line of detail for the operator.
struct ActionReport: Sendable, Equatable {
    var outcome: ResponseResult.Outcome
    var detail: String?
    /// The simulated plan of an upgrade (simulation or start).
    var plan: UpgradePlan? = nil

    static func done(_ detail: String) -> ActionReport { ActionReport(outcome: .done, detail: detail) }
    static func alreadyDone(_ detail: String) -> ActionReport { ActionReport(outcome: .alreadyDone, detail: detail) }
    static func refused(_ reason: String) -> ActionReport { ActionReport(outcome: .refused(reason: reason), detail: nil) }
    static func failed(_ reason: String) -> ActionReport { ActionReport(outcome: .failed(reason: reason), detail: nil) }
}
