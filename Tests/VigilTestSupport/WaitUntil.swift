import Testing

/// A condition a test waited for did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` every `poll` until it holds; throws `WaitTimeout` (naming the caller's line) when `timeout`
/// passes first. The limit is generous on purpose: the suite may share two cores with heavy tests, and a passing
/// test never waits for it.
public func waitUntil(
    _ comment: String = "condition",
    timeout: Duration = .seconds(30),
    poll: Duration = .milliseconds(20),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    _ = try await waitFor(comment, timeout: timeout, poll: poll, sourceLocation: sourceLocation) {
        try await condition() ? true : nil
    }
}

/// Polls `probe` every `poll` until it returns a value, and returns that value; throws `WaitTimeout` when `timeout`
/// passes first.
public func waitFor<T>(
    _ comment: String = "value",
    timeout: Duration = .seconds(30),
    poll: Duration = .milliseconds(20),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ probe: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else {
            throw WaitTimeout(description: "\(comment) not met within \(timeout) (\(sourceLocation.fileID):\(sourceLocation.line))")
        }
        try await Task.sleep(for: poll)
    }
}
