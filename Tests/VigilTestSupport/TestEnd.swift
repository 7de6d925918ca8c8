import Synchronization
import Testing

/// Registers `action` to run when the current test ends, awaited, whether the test passed, failed or threw: the
/// async `defer` Swift lacks. Replaces `defer { Task { await agent.stop() } }`, which let the test end (and the next
/// one start) while the fake server was still stopping in a detached task. Needs the `.awaitsTeardown` (or
/// `.system`) trait on the suite or test; actions run last registered first.
public func atTestEnd(sourceLocation: SourceLocation = #_sourceLocation, _ action: @escaping @Sendable () async -> Void) {
    guard let actions = TestEndActions.current else {
        Issue.record("atTestEnd needs the .awaitsTeardown or .system trait on the suite", sourceLocation: sourceLocation)
        return
    }
    actions.add(action)
}

/// The actions one running test registered with `atTestEnd`.
final class TestEndActions: Sendable {
    @TaskLocal static var current: TestEndActions?

    private let actions = Mutex<[@Sendable () async -> Void]>([])

    func add(_ action: @escaping @Sendable () async -> Void) {
        actions.withLock { $0.append(action) }
    }

    /// Runs `function` with a fresh list, then awaits every action it registered.
    static func scope(_ function: @Sendable () async throws -> Void) async throws {
        let list = TestEndActions()
        do {
            try await $current.withValue(list) { try await function() }
        } catch {
            await list.runAll()
            throw error
        }
        await list.runAll()
    }

    private func runAll() async {
        let registered = actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        for action in registered.reversed() { await action() }
    }
}

/// The trait behind `.awaitsTeardown`.
public struct AwaitedTeardownTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await TestEndActions.scope(function)
    }
}

extension Trait where Self == AwaitedTeardownTrait {
    /// Each test may register work with `atTestEnd`; the test ends when that work has finished.
    public static var awaitsTeardown: Self { AwaitedTeardownTrait() }
}
