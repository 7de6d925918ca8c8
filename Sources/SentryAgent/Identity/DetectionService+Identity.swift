import FoundationEssentials
import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

extension DetectionService {
    /// The `identity` detector: fanotify (or inotify) events on the watched directories, read on a thread of their own
    /// so a writer is described before it exits; a verification scan at start and every `verify_interval`; an
    /// overflow rescans everything. Alerts go to the sink from this task.
    func runIdentity() async {
        let identity = configuration.identity
        let patterns = await Self.authorizedKeysPatterns(runner: ProcessCommandRunner())
        let watched = WatchedSet(root: identity.root, extraPaths: identity.paths, exclude: identity.exclude, authorizedKeysPatterns: patterns)
        let store = IdentityStore(stateDirectory: stateDirectory)
        let detector = IdentityDetector(configuration: .init(packageQuietSeconds: identity.packageQuiet.components.seconds))
        let (detections, continuation) = AsyncStream.makeStream(of: Detection.self)
        let stop = FollowerStopSignal()
        let logger = logger
        let wallClock = wallClock
        let interval = identity.verifyInterval
        let watching = Task {
            await FollowerThread.run(name: "vigil-identity") {
                let monitor = IdentityMonitor(
                    watched: watched, detector: detector, store: store, logger: logger, sshdReader: SSHDEffectiveReader.make(root: identity.root))
                IdentityWatchLoop(monitor: monitor, verifyInterval: interval, wallClock: wallClock, logger: logger).run(stop: stop) {
                    continuation.yield($0)
                }
                continuation.finish()
            }
        }
        // Account tools log through syslog, possibly after their write: wait a moment for the line when the SSH
        // follower reads a log file (journald is followed for sshd alone, so no such line would come).
        let sshPlan = Self.sshSourcePlan(configuration.ssh) { access($0, R_OK) == 0 }
        let patience: Duration = configuration.ssh.isActive && !sshPlan.useJournal ? .seconds(1) : .zero
        let accountLog = accountLog
        await withTaskCancellationHandler {
            for await found in detections {
                let detection = await Self.addingAccountLog(to: found, from: accountLog, patience: patience)
                let alert = factory.alert(for: detection)
                Self.log(alert, to: logger)
                await sink.submit(alert)
            }
        } onCancel: {
            stop.stop()
        }
        await watching.value
    }

    /// `detection` with who changed the account it names, from the log (`by alice via sudo /usr/sbin/usermod -aG sudo
    /// bob`), as one more fact; waits up to `patience` for the line when the writer is an account tool or unknown.
    static func addingAccountLog(to detection: Detection, from log: AccountLogCorrelator, patience: Duration) async -> Detection {
        guard case .identity(var evidence) = detection.subject, let account = evidence.changedAccount else { return detection }
        let writer = evidence.writer?.exe.map { FileSystemPath.lastComponent(of: $0) }
        let deadline = ContinuousClock.now + (writer == nil || AccountLogCorrelator.tools.contains(writer ?? "") ? patience : .zero)
        var found = log.describe(account: account, around: detection.observedAt)
        while found == nil, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                break
            }
            found = log.describe(account: account, around: detection.observedAt)
        }
        guard let found else { return detection }
        evidence.changes.append(IdentityFact(change: "logged_by", detail: found, target: account))
        var detection = detection
        detection.subject = .identity(evidence)
        return detection
    }

    /// The `AuthorizedKeysFile` patterns of the host's sshd (`sshd -T`), or OpenSSH's default when it cannot say.
    static func authorizedKeysPatterns(runner: any CommandRunner) async -> [String] {
        for sshd in ["/usr/sbin/sshd", "/usr/bin/sshd"] where access(sshd, X_OK) == 0 {
            let output = await runner.run(ProgramInvocation(sshd, ["-T"], timeout: .seconds(5)))
            guard output.succeeded else { continue }
            for line in String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n") where line.hasPrefix("authorizedkeysfile ") {
                return line.split(separator: " ").dropFirst().map(String.init)
            }
        }
        return WatchedSet.defaultAuthorizedKeysPatterns
    }
}

/// The identity detector's thread: waits for events, hands them to the monitor, runs the scans, and passes each
/// detection on. Returns on `stop`.
struct IdentityWatchLoop {
    var monitor: IdentityMonitor
    let verifyInterval: Duration
    let wallClock: @Sendable () -> Int64
    let logger: Logger
    /// Makes the event source; fanotify first, inotify when it is refused, nil when neither works (scans only).
    var makeSource: (WriterReader) -> (any IdentityEventSource)? = { writers in
        FanotifyEventSource(writers: writers) ?? InotifyEventSource()
    }

    /// Runs until `stop`; `ready` is called once the directories are watched and the start scan is done.
    func run(stop: FollowerStopSignal, ready: () -> Void = {}, emit: (Detection) -> Void) {
        var monitor = monitor
        let source = makeSource(WriterReader(proc: ProcFileSystem(), users: SystemUserNames()))
        if let source {
            let backend = source.namesWriter ? "fanotify (writer named)" : "inotify (writer unknown: fanotify unavailable)"
            logger.info("identity: watching \(monitor.watched.directories.count) directories with \(backend)")
        } else {
            logger.warning("identity: neither fanotify nor inotify is available; changes are found by the verification scan only")
        }
        watch(source, monitor: &monitor)
        let started = ContinuousClock.now
        for detection in monitor.start(time: wallClock()) { emit(detection) }
        logger.info(
            "identity: \(monitor.records.count) files checked in \(started.duration(to: .now))",
            metadata: ["bytes": "\(monitor.memoryFootprint)"])
        ready()
        var nextVerification = ContinuousClock.now + verifyInterval
        while true {
            let untilVerification = ContinuousClock.now.duration(to: nextVerification)
            let timeout = monitor.detector.isCollecting ? min(untilVerification, .seconds(1)) : untilVerification
            let wake = source?.wait(timeout: timeout, stop: stop) ?? Self.sleep(timeout, stop: stop)
            let now = wallClock()
            switch wake {
            case .stopped:
                return
            case .changes(let changes):
                for detection in monitor.handle(changes, time: now) { emit(detection) }
            case .overflow:
                logger.warning("identity: the kernel's event queue overflowed; rescanning every watched file")
                for detection in monitor.rescan(seenBy: "rescan", time: now) { emit(detection) }
            case .timeout:
                break
            }
            if ContinuousClock.now >= nextVerification {
                monitor.expandWatchedSet()
                for detection in monitor.rescan(seenBy: "verification", time: now) { emit(detection) }
                nextVerification = ContinuousClock.now + verifyInterval
            }
            if monitor.watchedDirectoriesChanged { watch(source, monitor: &monitor) }
            if monitor.rescanRequested {
                monitor.rescanRequested = false
                for detection in monitor.rescan(seenBy: "rescan", time: now) { emit(detection) }
            }
            for detection in monitor.flush(time: now) { emit(detection) }
        }
    }

    /// Watches every directory of the set (new ones after it grew); the verification scan re-expands the set, so a
    /// directory removed and made again is watched again.
    private func watch(_ source: (any IdentityEventSource)?, monitor: inout IdentityMonitor) {
        monitor.watchedDirectoriesChanged = false
        guard let source else { return }
        for directory in monitor.watched.directories.keys.sorted() {
            _ = source.watch(directory: directory, hostPath: monitor.watched.hostPath(directory))
        }
    }

    private static func sleep(_ timeout: Duration, stop: FollowerStopSignal) -> IdentityWake {
        var entry = pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, timeout.pollMilliseconds) > 0 ? .stopped : .timeout
    }
}
