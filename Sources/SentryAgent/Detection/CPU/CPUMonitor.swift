import Shared
/// The CPU detector's shell: samples the proc filesystem (root injected), feeds the detector, and names the users of
/// the top processes. Time comes from the caller, so tests drive it over fixture trees with chosen times.
struct CPUMonitor {
    let proc: ProcFileSystem
    let users: any UserNameResolver
    private(set) var detector: CPUSustainedDetector

    init(proc: ProcFileSystem, users: any UserNameResolver, detector: CPUSustainedDetector) {
        self.proc = proc
        self.users = users
        self.detector = detector
    }

    /// Takes one sample at `time` (Unix seconds) and returns a detection if the level changed.
    mutating func tick(time: Int64) -> Detection? {
        guard let sample = sample(time: time), var detection = detector.process(sample) else { return nil }
        if case .cpu(var evidence) = detection.subject {
            for index in evidence.topProcesses.indices {
                let pid = evidence.topProcesses[index].pid
                evidence.topProcesses[index].user = proc.realUID(pid: pid).map { users.name(of: $0) } ?? "?"
            }
            detection.subject = .cpu(evidence)
        }
        return detection
    }

    /// Reads `/proc/stat` and every `/proc/<pid>/stat`; nil if `/proc/stat` cannot be read.
    func sample(time: Int64) -> CPUSample? {
        guard let cpu = proc.cpuTicks() else { return nil }
        var processes: [ProcessKey: ProcessSnapshot] = [:]
        for pid in proc.processIDs() {
            guard let process = proc.processTicks(pid: pid) else { continue }
            processes[ProcessKey(pid: pid, startTime: process.startTime)] = ProcessSnapshot(name: process.name, ticks: process.ticks)
        }
        return CPUSample(time: time, cpu: cpu, processes: processes)
    }
}
