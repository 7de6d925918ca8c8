import Shared

/// One reading of the proc filesystem: machine-wide ticks and every process's ticks.
struct CPUSample: Sendable {
    /// When it was taken (Unix seconds from the injected clock).
    var time: Int64
    var cpu: ProcStat.CPUTicks
    var processes: [ProcessKey: ProcessSnapshot]
}

/// A process named for good: a pid alone may be reused within a window.
struct ProcessKey: Hashable, Sendable {
    var pid: Int32
    var startTime: UInt64
}

/// What a sample knows about one process.
struct ProcessSnapshot: Sendable, Equatable {
    var name: String
    var ticks: UInt64
}

/// Watches the busy share of the CPU averaged over a window (default 60 s of 5 s samples) and reports
/// `cpu_sustained` when it crosses the warning (85 %) or critical (95 %) level, and `cpu_recovered` when it clears.
///
/// Hysteresis: a level holds until the share falls `hysteresisPoints` (10) below its threshold, so a machine hovering
/// at 85 % is one alert, not one per sample. One alert per escalation (normal → warning, → critical); falling from
/// critical to warning is silent; falling below warning's clear point is one `cpu_recovered` notice.
struct CPUSustainedDetector {
    struct Configuration: Sendable {
        var windowSeconds: Int64 = 60
        var warningPercent = 85.0
        var criticalPercent = 95.0
        var hysteresisPoints = 10.0
        var topProcesses = 5
    }

    /// The alert level in force.
    enum Level: Int, Sendable, Comparable {
        case normal, warning, critical

        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    let configuration: Configuration
    private(set) var level: Level = .normal
    /// The share over the last full window, once there is one.
    private(set) var lastPercent: Double?
    private var samples: [CPUSample] = []

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Feeds one sample; returns a detection on an escalation or a recovery.
    mutating func process(_ sample: CPUSample) -> Detection? {
        if let last = samples.last, sample.time <= last.time || sample.cpu.total < last.cpu.total {
            // Clock stepped back or counters reset (a restored VM): start the window afresh.
            samples.removeAll()
        }
        samples.append(sample)
        // Keep the newest sample at least a window old as the base, and everything after it.
        let windowStart = sample.time - configuration.windowSeconds
        if let baseIndex = samples.lastIndex(where: { $0.time <= windowStart }), baseIndex > 0 {
            samples.removeFirst(baseIndex)
        }
        guard let base = samples.first, base.time <= windowStart, sample.cpu.total > base.cpu.total else { return nil }
        let percent = Double(sample.cpu.busy &- base.cpu.busy) / Double(sample.cpu.total - base.cpu.total) * 100
        lastPercent = percent
        let next = nextLevel(for: percent)
        defer { level = next }
        if next > level {
            return detection(kind: .cpuSustained, severity: next == .critical ? .critical : .warning, percent: percent, base: base, now: sample)
        }
        if next == .normal, level != .normal {
            return detection(kind: .cpuRecovered, severity: .info, percent: percent, base: base, now: sample)
        }
        return nil
    }

    private func nextLevel(for percent: Double) -> Level {
        let warning = configuration.warningPercent
        let critical = configuration.criticalPercent
        let slack = configuration.hysteresisPoints
        if percent >= critical { return .critical }
        switch level {
        case .critical:
            if percent >= critical - slack { return .critical }
            return percent >= warning - slack ? .warning : .normal
        case .warning:
            return percent >= warning - slack ? .warning : .normal
        case .normal:
            return percent >= warning ? .warning : .normal
        }
    }

    private func detection(kind: AlertKind, severity: Severity, percent: Double, base: CPUSample, now: CPUSample) -> Detection {
        let evidence = CPUEvidence(
            percent: (percent * 10).rounded() / 10, windowSeconds: Int(now.time - base.time), topProcesses: topProcesses(base: base, now: now))
        return Detection(kind: kind, severity: severity, subject: .cpu(evidence), observedAt: now.time, firstSeen: base.time, lastSeen: now.time)
    }

    /// The processes that used the most CPU between `base` and `now`, as percent of one CPU (as `top` shows them).
    /// A process born inside the window counts all its ticks. The user is filled in by the caller.
    func topProcesses(base: CPUSample, now: CPUSample) -> [ProcessShare] {
        guard configuration.topProcesses > 0 else { return [] }
        let ticksPerCPU = Double(now.cpu.total - base.cpu.total) / Double(max(now.cpu.cpuCount, 1))
        guard ticksPerCPU > 0 else { return [] }
        var used: [(key: ProcessKey, name: String, ticks: UInt64)] = []
        for (key, process) in now.processes {
            let before = base.processes[key]?.ticks ?? 0
            guard process.ticks > before else { continue }
            used.append((key, process.name, process.ticks - before))
        }
        used.sort { $0.ticks != $1.ticks ? $0.ticks > $1.ticks : $0.key.pid < $1.key.pid }
        return used.prefix(configuration.topProcesses).map { entry in
            ProcessShare(name: entry.name, pid: entry.key.pid, user: "", percent: (Double(entry.ticks) / ticksPerCPU * 1000).rounded() / 10)
        }
    }
}
