import Testing

/// One system test at a time across the whole test process (all three test targets run in one): they start real
/// servers, namespaces and floods, change process-wide limits, or measure time on a two-core machine, and would
/// starve or disturb each other. Pure tests keep running in parallel beside the one that holds the lock.
public actor SystemTestLock {
    public static let shared = SystemTestLock()

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A lock of its own (tests of the lock); system tests share `shared`.
    public init() {}

    /// Runs `body` while holding the lock; waiters are served in arrival order.
    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            held = false
        } else {
            // Ownership passes straight to the next waiter: `held` stays true.
            waiters.removeFirst().resume()
        }
    }
}

/// The trait behind `.system`: runs each test case of the suite or test under `SystemTestLock`, with `atTestEnd`.
public struct SystemTestTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Only around test cases: holding the lock around a whole suite would deadlock its own tests, which take it too.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // A suite marked `.system` inside another one gives its tests the trait twice; the lock is not reentrant, so
        // the inner scope runs the test under the lock the outer one already holds.
        guard !Self.holdsLock else { return try await function() }
        // The test's own teardown (`atTestEnd`) finishes before the next system test may start.
        try await SystemTestLock.shared.withLock {
            try await Self.$holdsLock.withValue(true) { try await TestEndActions.scope(function) }
        }
    }

    /// Set while a test runs under the system lock.
    @TaskLocal static var holdsLock = false
}

extension Trait where Self == SystemTestTrait {
    /// A system test: starts processes, binds fixed resources, uses root, namespaces, nft, nginx or sshd, changes
    /// process-wide state (umask, rlimits) or measures time. It never runs beside another system test.
    public static var system: Self { SystemTestTrait() }
}
