import Shared

extension MessageCatalogs {
    /// The line that reports what an agent did with a command: outcome, reason, who and when, and the agent's detail.
    func outcomeLine(_ result: ResponseResult, values: [String: String], language: String) -> String {
        var values = values
        let key: MessageKey
        switch result.outcome {
        case .done: key = .outcomeDone
        case .alreadyDone: key = .outcomeAlreadyDone
        case .started: key = .outcomeStarted
        case .refused(let reason):
            key = .outcomeRefused
            values["reason"] = reason
        case .failed(let reason):
            key = .outcomeFailed
            values["reason"] = reason
        }
        var line = text(key, language: language, values)
        if let detail = result.detail, !detail.isEmpty {
            line += "\n" + text(.outcomeDetail, language: language, ["detail": detail])
        }
        return line
    }
}
