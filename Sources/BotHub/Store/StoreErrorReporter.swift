import Foundation
import Logging
import Shared

/// The hub's one policy for a store error that cannot be handled where it happens: it is logged with what was being
/// done, counted in `/metrics` as `vigil_hub_store_errors_total{operation}`, and the caller decides what the operator
/// is told. Nothing in the hub drops a store error silently; a disk that fills up shows in the log, the metrics and,
/// for a press, in the chat.
struct StoreErrorReporter: Sendable {
    static let metricName = "vigil_hub_store_errors_total"

    let logger: Logger
    var metrics: MetricsRegistry?

    /// Logs and counts `error`, which happened while doing `operation` (a short snake_case name, the metric label).
    func report(_ error: any Error, operation: String, context: Logger.Metadata = [:]) {
        var metadata = context
        metadata["operation"] = "\(operation)"
        metadata["error"] = "\(error)"
        logger.error("store write or read failed", metadata: metadata)
        metrics?.increment(Self.metricName, help: "Hub store (SQLite) operations that failed, by operation.", labels: ["operation": operation])
    }

    /// Runs `body`; on an error reports it and returns nil, so the caller can go on with what it knows.
    func attempt<T>(_ operation: String, context: Logger.Metadata = [:], _ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch {
            report(error, operation: operation, context: context)
            return nil
        }
    }

    /// Runs `body`; on an error reports it and returns false.
    @discardableResult
    func perform(_ operation: String, context: Logger.Metadata = [:], _ body: () throws -> Void) -> Bool {
        attempt(operation, context: context, body) != nil
    }

    /// Runs `body` (the store's `async` methods, which wait for SQLite off the cooperative pool); on an error reports
    /// it and returns nil.
    ///
    /// It runs on the caller's actor (`isolation`), so an actor's closure over its own state need not be sendable.
    func attempt<T>(
        _ operation: String, context: Logger.Metadata = [:], isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async -> T? {
        do {
            return try await body()
        } catch {
            report(error, operation: operation, context: context)
            return nil
        }
    }

    /// Runs `body` (async); on an error reports it and returns false.
    @discardableResult
    func perform(
        _ operation: String, context: Logger.Metadata = [:], isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void
    ) async -> Bool {
        await attempt(operation, context: context, isolation: isolation, body) != nil
    }
}
