import Foundation

/// Timing rules for choices.
struct ChoiceSettings: Sendable {
    /// Buttons older than this are refused (default 24 h).
    var buttonLifetime: TimeInterval = 86_400
    /// A reboot or shutdown must be confirmed within this (default 60 s).
    var confirmationWindow: TimeInterval = 60
    /// The agent refuses a command older than this (default 2 min).
    var commandLifetime: TimeInterval = 120
    /// A claim older than this is taken over by the next press: its command has expired at the agent, and a dispatch
    /// (at most two keys × the 15 s timeout) has ended, so nothing of the old choice can still run.
    var staleClaimAfter: TimeInterval { commandLifetime + 60 }
}
