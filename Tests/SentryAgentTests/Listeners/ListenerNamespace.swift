import Foundation
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A network namespace made for one test (loopback only), with programs started inside it; everything in it is
/// killed and the namespace removed afterwards, also when the test fails.
struct ListenerNamespace: Sendable {
    let name: String
    static let ip = "/usr/sbin/ip"

    /// The prefix that runs a program inside the namespace without remounting /sys (`nsenter --net`).
    var enter: [String] { ["/usr/bin/nsenter", "--net=/run/netns/\(name)"] }

    static func with<T: Sendable>(_ body: @Sendable (ListenerNamespace) async throws -> T) async throws -> T {
        let namespace = ListenerNamespace(name: "vigil-lst-" + String(UInt32.random(in: 0..<0xFFFF_FFFF), radix: 16))
        try await run([ip, "netns", "add", namespace.name])
        do {
            try await run([ip, "-n", namespace.name, "link", "set", "lo", "up"])
            let result = try await body(namespace)
            await namespace.remove()
            return result
        } catch {
            await namespace.remove()
            throw error
        }
    }

    /// Starts `argv` inside the namespace and returns its pid (the program itself: nsenter execs it).
    @discardableResult
    func start(_ argv: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: enter[0])
        process.arguments = Array(enter.dropFirst()) + argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process.processIdentifier
    }

    /// `ss -Htulnp` inside the namespace, as (protocol, port, pids) rows.
    func ss() async throws -> Set<ListenerRow> {
        Set(try await Self.output(enter + ["/usr/bin/ss", "-Htulnp"]).split(separator: "\n").compactMap(ListenerRow.init(ssLine:)))
    }

    /// Waits until `ss` shows `count` listeners owned by a process (a positive signal that every program is up).
    func waitForListeners(_ count: Int) async throws -> Set<ListenerRow> {
        for _ in 0..<200 {
            let rows = try await ss()
            if rows.count >= count, rows.allSatisfy({ !$0.pids.isEmpty }) { return rows }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("ss never showed \(count) listeners in \(name): \((try? await ss()).map { "\($0)" } ?? "(ss failed)")")
    }

    func remove() async {
        if let pids = try? await Self.output([Self.ip, "netns", "pids", name]) {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? await Self.run([Self.ip, "netns", "delete", name])
    }

    static func run(_ argv: [String]) async throws {
        _ = try await output(argv)
    }

    /// Runs `argv` to completion, off the cooperative pool; its standard output, or an error naming it when it fails.
    static func output(_ argv: [String]) async throws -> String {
        let run = try await ProgramRun.run(argv)
        guard run.status == 0 else { throw TestFailure("\(argv.joined(separator: " ")) exited \(run.status)") }
        return run.output
    }
}

/// One listening socket as both `ss` and `sentry-agent listeners` can name it.
struct ListenerRow: Hashable, Sendable, CustomStringConvertible {
    var transport: String
    var port: Int
    var pids: [Int32]

    init(transport: String, port: Int, pids: [Int32]) {
        self.transport = transport
        self.port = port
        self.pids = pids.sorted()
    }

    /// `tcp LISTEN 0 5 0.0.0.0:8000 0.0.0.0:* users:(("python3",pid=123,fd=3))`.
    init?(ssLine line: Substring) {
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        guard columns.count >= 5, let colon = columns[4].lastIndex(of: ":"), let port = Int(columns[4][columns[4].index(after: colon)...]) else {
            return nil
        }
        var pids: [Int32] = []
        var rest = line[...]
        while let range = rest.range(of: "pid=") {
            let digits = rest[range.upperBound...].prefix { $0.isNumber }
            if let pid = Int32(digits) { pids.append(pid) }
            rest = rest[range.upperBound...]
        }
        self.init(transport: String(columns[0]), port: port, pids: Array(Set(pids)))
    }

    var description: String { "\(transport)/\(port) \(pids)" }
}
