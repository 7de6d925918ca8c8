import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("Sustained CPU over fixture /proc trees")
struct CPUSustainedDetectorTests {
    /// A sample where the machine (2 CPUs) has spent `busy` of every 100 ticks busy since the last one.
    struct Load {
        var busy: UInt64 = 0
        var total: UInt64 = 0
        var time: Int64 = -5

        mutating func sample(percent: Double, seconds: Int64 = 5, processes: [ProcessKey: ProcessSnapshot] = [:]) -> CPUSample {
            let ticks = UInt64(seconds) * 200
            busy += UInt64(Double(ticks) * percent / 100)
            total += ticks
            time += seconds
            return CPUSample(time: time, cpu: .init(busy: busy, total: total, cpuCount: 2), processes: processes)
        }
    }

    static func run(_ percents: [Double], configuration: CPUSustainedDetector.Configuration = .init()) -> [Detection] {
        var detector = CPUSustainedDetector(configuration: configuration)
        var load = Load()
        return percents.compactMap { detector.process(load.sample(percent: $0)) }
    }

    @Test("nothing before a full window, then one warning when the 60 s average crosses 85 %")
    func warningAfterFullWindow() {
        let detections = Self.run(Array(repeating: 90, count: 20))
        #expect(detections.count == 1)
        #expect(detections.first?.kind == .cpuSustained && detections.first?.severity == .warning)
        #expect(detections.first?.observedAt == 60)
    }

    @Test("escalation warning → critical is a second alert; staying up is silent; clearing is one cpu_recovered")
    func escalationAndRecovery() {
        let percents: [Double] =
            Array(repeating: 88, count: 13) + Array(repeating: 100, count: 13) + Array(repeating: 99, count: 10)
            + Array(repeating: 10, count: 13)
        let detections = Self.run(percents)
        #expect(detections.map(\.kind) == [.cpuSustained, .cpuSustained, .cpuRecovered])
        #expect(detections.map(\.severity) == [.warning, .critical, .info])
    }

    @Test("hysteresis: hovering between 76 % and 90 % after a warning raises nothing more and does not clear")
    func hysteresis() {
        let hover = (0..<60).map { $0 % 2 == 0 ? 76.0 : 90.0 }
        let detections = Self.run(Array(repeating: 90, count: 13) + hover)
        #expect(detections.count == 1)
    }

    @Test("falling from critical to warning is silent; re-crossing critical alerts again")
    func deescalationIsSilent() {
        let percents = Array(repeating: 97.0, count: 13) + Array(repeating: 80.0, count: 13) + Array(repeating: 97.0, count: 13)
        let detections = Self.run(percents)
        #expect(detections.map(\.severity) == [.critical, .critical])
    }

    @Test("the top processes over the window, as percent of one CPU, from a fixture /proc tree with users")
    func topProcessesFromProcTree() throws {
        let root = try TemporaryDirectory("vigil-cpu")
        var monitor = CPUMonitor(
            proc: ProcFileSystem(root: root.path), users: FixedUserNames(names: [0: "root", 1000: "alice"]),
            detector: CPUSustainedDetector(configuration: .init(windowSeconds: 60, topProcesses: 5)))
        // 2 CPUs, 100 ticks per second each: 200 ticks per second in total.
        var detections: [Detection] = []
        for step in 0...12 {
            let seconds = UInt64(step * 5)
            try FakeProc.writeCPU(root: root.path, busy: seconds * 196, idle: seconds * 4)
            try FakeProc.write(root: root.path, pid: 10, name: "miner (x)", startTime: 50, ticks: seconds * 100, uid: 1000)
            try FakeProc.write(root: root.path, pid: 11, name: "postgres", startTime: 60, ticks: seconds * 60, uid: 0)
            try FakeProc.write(root: root.path, pid: 12, name: "idle", startTime: 70, ticks: 5, uid: 0)
            if step >= 6 { try FakeProc.write(root: root.path, pid: 13, name: "late", startTime: 900, ticks: (seconds - 30) * 30, uid: 0) }
            if let detection = monitor.tick(time: Int64(step * 5)) { detections.append(detection) }
        }
        let detection = try #require(detections.first)
        guard case .cpu(let evidence) = detection.subject else {
            Issue.record("not CPU evidence")
            return
        }
        #expect(detection.severity == .critical)
        #expect(evidence.percent == 98)
        #expect(evidence.windowSeconds == 60)
        #expect(
            evidence.topProcesses == [
                ProcessShare(name: "miner (x)", pid: 10, user: "alice", percent: 100),
                ProcessShare(name: "postgres", pid: 11, user: "root", percent: 60),
                ProcessShare(name: "late", pid: 13, user: "root", percent: 15),
            ])
    }

    @Test("a pid reused by another process inside the window is not credited with the old one's ticks")
    func pidReuse() {
        var detector = CPUSustainedDetector(configuration: .init(windowSeconds: 10, warningPercent: 50))
        var load = Load()
        _ = detector.process(load.sample(percent: 100, processes: [ProcessKey(pid: 5, startTime: 1): ProcessSnapshot(name: "old", ticks: 10_000)]))
        _ = detector.process(load.sample(percent: 100))
        let detection = detector.process(
            load.sample(percent: 100, processes: [ProcessKey(pid: 5, startTime: 2): ProcessSnapshot(name: "new", ticks: 100)]))
        guard case .cpu(let evidence)? = detection?.subject else {
            Issue.record("expected an alert")
            return
        }
        #expect(evidence.topProcesses.map(\.name) == ["new"])
        #expect(evidence.topProcesses.first?.percent == 10)
    }

    @Test("/proc/stat and /proc/<pid>/stat parsing: guest time is not counted twice, a name with ') ' is not confused")
    func procParsing() throws {
        let stat = bytes("cpu  100 20 30 400 50 6 7 8 90 10\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4 5 6 7 8 9 10\nintr 1\n")
        let ticks = try #require(stat.withLine { ProcStat.cpuTicks($0) })
        #expect(ticks == ProcStat.CPUTicks(busy: 171, total: 621, cpuCount: 2))
        let process = bytes("42 (evil) R 1 2) S 7 42 42 0 -1 4194304 1 0 0 0 300 200 0 0 20 0 1 0 123456 1000 100\n")
        let parsed = try #require(process.withLine { ProcStat.processTicks($0) })
        #expect(parsed.name == "evil) R 1 2")
        #expect(parsed.parentPID == 7 && parsed.ticks == 500 && parsed.startTime == 123_456)
    }
}
