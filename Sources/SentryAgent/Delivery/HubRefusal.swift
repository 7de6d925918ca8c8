import Shared

/// A 401 from the hub means it does not accept this agent's seal: the agent's id or key is not what the hub has.
/// Retrying cannot fix that, so the log says what will.
enum HubRefusal {
    static func hint(for error: any Error) -> String? {
        guard let error = error as? SealedClientError, error.code == .status(401) else { return nil }
        return "the hub refused this agent's seal (HTTP 401): check agent.id and hub.key in this agent's config against the hub "
            + "(`bothub agent list` there), or enroll this agent on the hub with `bothub agent add`"
    }
}
