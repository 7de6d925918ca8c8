import FoundationEssentials
import Shared

/// Answers to a new listener that concern its identity and its process: Accept, and Kill process.
///
/// Accept writes the identity into the baseline file through `ListenerDecisions` (durable before it answers), so it
/// holds across agent restarts. A kill goes through `ProcessKiller` (pidfd, pid + start time) like a session kill;
/// once the process has ended, the listener is forgotten, so its return raises a new alert.
struct ListenerResponder: Sendable {
    /// Nil when this agent was started without the listeners detector's state (Accept is then refused).
    var decisions: ListenerDecisions?
    var killer = ProcessKiller()

    static let endedOrReused = "the listener's process already ended or its pid was reused"

    func accept(_ key: ListenerKey) -> ActionReport {
        guard let decisions else { return .refused("the listeners detector does not run in this agent") }
        guard let identity = ListenerIdentity(key) else { return .refused("not a listener identity this agent makes") }
        do {
            guard try decisions.record(.accept(identity)) else { return .refused("the listeners detector has not formed its baseline yet") }
        } catch {
            return .failed("cannot save the listener baseline: \(error)")
        }
        return .done("accepted \(identity): it will not alert again")
    }

    func kill(pid: Int32, startTime: UInt64, listener: ListenerKey?) async -> ActionReport {
        let target = ProcessKiller.Target(noun: "a listener's process", endedOrReused: Self.endedOrReused)
        let report = await killer.kill(pid: pid, startTime: startTime, target: target)
        guard report.outcome == .done || report.outcome == .alreadyDone, !killer.dryRun else { return report }
        return forget(listener, after: report)
    }

    /// Forgets a listener whose process was ended or whose service was stopped; the report says if that failed.
    func forget(_ key: ListenerKey?, after report: ActionReport) -> ActionReport {
        guard let decisions, let identity = key.flatMap(ListenerIdentity.init) else { return report }
        do {
            _ = try decisions.record(.forget(identity))
            return report
        } catch {
            var noted = report
            noted.detail = (report.detail.map { $0 + "; " } ?? "") + "it will not alert again if it comes back (cannot save the baseline: \(error))"
            return noted
        }
    }
}
