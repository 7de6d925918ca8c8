import Foundation
import Synchronization

/// A fresh directory under the system's temporary directory, removed with everything in it by `remove()` or when the
/// value goes away (keep it alive while the test uses the path: `defer { directory.remove() }` does both).
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// Makes `<tmp>/<prefix>-XXXXXX` with `mkdtemp` (mode 0700, a name nobody else holds).
    public init(_ prefix: String = "vigil-test") throws {
        path = try Self.make(prefix)
    }

    deinit {
        remove()
    }

    /// The path of `name` inside the directory (not created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// Removes the directory and everything in it; nothing to do when it is gone already.
    public func remove() {
        // A test that removed (part of) it itself leaves less to clean; anything else is not worth failing a test over.
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A fresh directory removed when the test process exits, for helpers that hand out plain paths to code that
    /// outlives one scope (a process started by the test, a store reopened after a restart).
    public static func forTestRun(_ prefix: String = "vigil-test") throws -> String {
        let path = try make(prefix)
        RunDirectories.shared.add(path)
        return path
    }

    private static func make(_ prefix: String) throws -> String {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        var template = Array("\(base)\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp \(prefix): errno \(errno)") }
        return String(cString: made)
    }
}

/// The directories `TemporaryDirectory.forTestRun` made, removed by an `atexit` handler installed with the first.
private final class RunDirectories: Sendable {
    static let shared = RunDirectories()

    private let paths = Mutex<[String]?>(nil)

    func add(_ path: String) {
        let first = paths.withLock { paths in
            defer { paths = (paths ?? []) + [path] }
            return paths == nil
        }
        if first { atexit { RunDirectories.shared.removeAll() } }
    }

    private func removeAll() {
        for path in paths.withLock({ $0 ?? [] }) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

/// Runs `body` with a fresh temporary directory, removed when `body` returns or throws.
public func withTemporaryDirectory<T>(_ prefix: String = "vigil-test", _ body: (String) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory(prefix)
    defer { directory.remove() }
    return try await body(directory.path)
}
