import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The `listeners` detector on this host's real socket table: real programs bind, the monitor polls.
///
/// The monitor reads the namespace the tests run in, where other programs may open sockets too; each test looks only
/// at alerts for the pid it started.
@Suite("listeners detector on real sockets", .serialized, .system)
struct ListenerDetectorSystemTests {
    static let canRun =
        SystemRequirements.isRoot && SystemRequirements.has("socat") && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")

    /// A monitor whose baseline is formed now, from what already listens, and whose state lives in `directory`.
    static func monitor(in directory: TemporaryDirectory) -> ListenerMonitor {
        var monitor = ListenerMonitor(
            scanner: ListenerScanner(), configuration: .init(ephemeralPorts: ListenerIdentity.ephemeralPorts()),
            store: ListenerBaselineStore(stateDirectory: directory.path), logger: Logger(label: "test"))
        _ = monitor.tick(time: 0)
        return monitor
    }

    /// Polls every 100 ms until a detection for `pid` appears (up to 15 s), and returns it.
    static func waitForAlert(_ monitor: inout ListenerMonitor, pid: Int32) async throws -> Detection {
        for round in 1...150 {
            if let found = monitor.tick(time: Int64(round)).first(where: { Self.pid(of: $0) == pid }) { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("no alert for pid \(pid)")
    }

    static func pid(of detection: Detection) -> Int32? {
        guard case .listener(let evidence) = detection.subject else { return nil }
        return evidence.pid
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    static func waitUntilListening(port: Int) async throws {
        for _ in 0..<100 {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(descriptor)
            if connected == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("nothing listened on port \(port)")
    }

    /// Copies socat into a fresh directory under /tmp and starts it listening on 0.0.0.0:`port`.
    static func startSocatCopy(in directory: TemporaryDirectory, port: Int) throws -> (Process, String) {
        let copy = directory.file("socat")
        try FileManager.default.copyItem(atPath: SystemRequirements.path(of: "socat")!, toPath: copy)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: copy)
        process.arguments = ["TCP4-LISTEN:\(port),bind=0.0.0.0,reuseaddr,fork", "OPEN:/dev/null"]
        // Not the test's own streams: a child left holding them would keep the test runner waiting for their end.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, copy)
    }

    @Test("a copy of socat under /tmp listening on 0.0.0.0 is critical", .enabled(if: canRun, "needs root, socat and /usr/bin/python3"))
    func socatFromTmpIsCritical() async throws {
        let state = try TemporaryDirectory("vigil-listener-state")
        let binaries = try TemporaryDirectory("vigil-listener-bin")
        var monitor = Self.monitor(in: state)
        let port = Int.random(in: 20000...30000)
        let (process, copy) = try Self.startSocatCopy(in: binaries, port: port)
        defer { kill(process.processIdentifier, SIGKILL) }

        let alert = try await Self.waitForAlert(&monitor, pid: process.processIdentifier)
        #expect(alert.kind == .newListener && alert.severity == .critical)
        guard case .listener(let evidence) = alert.subject else { throw TestFailure("\(alert.subject)") }
        #expect(evidence.exe == copy && evidence.port == port && evidence.scope == "any" && evidence.package == nil)
        #expect(
            evidence.reasons.contains("runs from /tmp") && evidence.reasons.contains("its executable belongs to no package"), "\(evidence.reasons)")
        #expect(evidence.commandLine?.hasPrefix(copy + " TCP4-LISTEN:\(port)") == true)
    }

    @Test(
        "a socat whose binary is deleted after its socket was first seen is critical, its executable marked (deleted)",
        .enabled(if: canRun, "needs root, socat"))
    func deletedBinaryIsCritical() async throws {
        let state = try TemporaryDirectory("vigil-listener-state")
        let binaries = try TemporaryDirectory("vigil-listener-bin")
        var monitor = Self.monitor(in: state)
        let port = Int.random(in: 20000...30000)
        let (process, copy) = try Self.startSocatCopy(in: binaries, port: port)
        defer { kill(process.processIdentifier, SIGKILL) }
        try await Self.waitUntilListening(port: port)
        // The monitor sees the socket (and describes its owner) once before the binary goes,
        _ = monitor.tick(time: 1)
        try FileManager.default.removeItem(atPath: copy)

        let alert = try await Self.waitForAlert(&monitor, pid: process.processIdentifier)
        #expect(alert.severity == .critical)
        guard case .listener(let evidence) = alert.subject else { throw TestFailure("\(alert.subject)") }
        #expect(evidence.exe == copy + " (deleted)")
        #expect(evidence.reasons.contains("its executable was deleted after it started"), "\(evidence.reasons)")
    }

    @Test("a program re-binding 127.0.0.1:0 twenty times raises one info alert", .enabled(if: canRun, "needs root and /usr/bin/python3"))
    func ephemeralRebindsAlertOnce() async throws {
        let state = try TemporaryDirectory("vigil-listener-state")
        var monitor = Self.monitor(in: state)
        let script = """
            import socket, sys, time
            for _ in range(20):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                s.listen()
                time.sleep(0.25)
                s.close()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var alerts: [Detection] = []
        var round: Int64 = 1
        // Poll until the program has made all twenty binds and exited (the positive signal), then once more.
        while process.isRunning {
            alerts += monitor.tick(time: round).filter { Self.pid(of: $0) == process.processIdentifier }
            round += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        alerts += monitor.tick(time: round).filter { Self.pid(of: $0) == process.processIdentifier }
        #expect(process.terminationStatus == 0)
        #expect(alerts.count == 1, "\(alerts)")
        #expect(alerts.first?.severity == .info)
        #expect(monitor.scanner.ownerWalks <= 2 + 20, "one /proc walk per new socket at most")
    }
}
