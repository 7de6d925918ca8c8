import FoundationEssentials

/// The hub's sealed answer to `/alert`.
public struct AlertReceipt: Codable, Sendable, Equatable {
    public var alertId: UUID
    /// True when the hub already had this alert (the agent retried); it is not shown twice.
    public var duplicate: Bool

    public init(alertId: UUID, duplicate: Bool) {
        self.alertId = alertId
        self.duplicate = duplicate
    }
}
