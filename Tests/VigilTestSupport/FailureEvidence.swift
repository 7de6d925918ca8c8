import Foundation
import Synchronization
import Testing

/// What a flaky test leaves behind when it fails: its directory is kept and the tail of its logs printed, so the
/// failure can be read after the run; when it passes the directory is removed. Register with `keepOnFailure` inside
/// a test that has the `.keepsEvidenceOnFailure` trait.
public final class FailureEvidence: Sendable {
    @TaskLocal static var current: FailureEvidence?

    private struct State {
        var directories: [String] = []
        var logs: [String] = []
        var failed = false
    }

    private let state = Mutex(State())

    /// Keeps `directory` (removed when the test passes) and prints `logs` if the test fails.
    public static func keepOnFailure(directory: String, logs: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let evidence = current else {
            Issue.record("keepOnFailure needs the .keepsEvidenceOnFailure trait on the test", sourceLocation: sourceLocation)
            return
        }
        evidence.state.withLock {
            $0.directories.append(directory)
            $0.logs += logs
        }
    }

    /// The first issue prints the evidence; later ones add nothing.
    fileprivate func report() {
        let (logs, directories) = state.withLock { state -> ([String], [String]) in
            guard !state.failed else { return ([], []) }
            state.failed = true
            return (state.logs, state.directories)
        }
        for log in logs {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? "(unreadable)"
            print(
                "── \(log) (last 200 lines) ──\n\(text.split(separator: "\n", omittingEmptySubsequences: false).suffix(200).joined(separator: "\n"))")
        }
        for directory in directories { print("── kept for inspection: \(directory)") }
    }

    fileprivate func finish() {
        let (failed, directories) = state.withLock { ($0.failed, $0.directories) }
        guard !failed else { return }
        for directory in directories {
            // Best effort: a passing test's leftovers are not worth failing it over.
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}

/// The trait behind `.keepsEvidenceOnFailure`.
public struct FailureEvidenceTrait: TestTrait, TestScoping {
    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let evidence = FailureEvidence()
        // Expectation failures are seen as they are recorded; thrown errors when they leave the test.
        let watcher: IssueHandlingTrait = .compactMapIssues { issue in
            evidence.report()
            return issue
        }
        do {
            try await FailureEvidence.$current.withValue(evidence) {
                try await watcher.provideScope(for: test, testCase: testCase, performing: function)
            }
        } catch {
            evidence.report()
            throw error
        }
        evidence.finish()
    }
}

extension Trait where Self == FailureEvidenceTrait {
    /// On failure, keeps what the test registered with `FailureEvidence.keepOnFailure` and prints its logs.
    public static var keepsEvidenceOnFailure: Self { FailureEvidenceTrait() }
}
