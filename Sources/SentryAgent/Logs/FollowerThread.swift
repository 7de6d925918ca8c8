import Shared

/// Runs a blocking follower on a dedicated thread and lets async code await its end.
///
/// Followers block in `poll()` and `read()`; on one of Swift's cooperative threads (two on a two-core server) that
/// would stall the agent's HTTP endpoint, so each follower gets a plain pthread of its own (`DedicatedThread`).
enum FollowerThread {
    /// Runs `body` on a new detached thread; returns when it has returned. `name` is for logs.
    static func run(name: String, _ body: @escaping @Sendable () -> Void) async {
        await DedicatedThread.run(body)
    }
}
