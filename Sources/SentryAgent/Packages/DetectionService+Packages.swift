import FoundationEssentials
import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

extension DetectionService {
    /// The `packages` detector: a security scan at start, after every change to dpkg's status or apt's lists (once
    /// writes have settled), and at least once per interval; `security_updates` for newly pending source packages.
    func runPackages() async {
        let packages = configuration.packages
        let scanner = SecurityUpdateScanner(
            runner: ProcessCommandRunner(), aptOptions: packages.aptOptions, status: DpkgStatusReader(path: packages.statusPath),
            cache: AptIndexCache())
        let alertedPath = stateDirectory + "/security-updates-alerted.txt"
        var detector = SecurityUpdatesDetector(alerted: Self.readAlerted(alertedPath))
        let (wakes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let stop = FollowerStopSignal()
        let statusDirectory = Self.directory(of: packages.statusPath)
        let fingerprint = PackageFilesFingerprint(statusPath: packages.statusPath, listsDirectory: packages.listsDirectory)
        let interval = packages.interval
        let watching = Task {
            await FollowerThread.run(name: "vigil-packages") {
                Self.watchPackageFiles([statusDirectory, packages.listsDirectory], fingerprint: fingerprint, interval: interval, stop: stop) {
                    continuation.yield()
                }
                continuation.finish()
            }
        }
        await withTaskCancellationHandler {
            continuation.yield()  // the scan at start
            var lastStaleness: String?
            for await _ in wakes {
                do {
                    let scan = try await scanner.scan()
                    let now = wallClock()
                    let staleness = scan.staleness(now: now)
                    if let staleness, staleness != lastStaleness { logger.warning("security updates: \(staleness)") }
                    lastStaleness = staleness
                    for refused in scan.refused.prefix(5) { logger.warning("security updates: skipped \(refused)") }
                    let before = detector.alerted
                    let detection = detector.process(scan, now: now)
                    logger.info("security scan: \(scan.pending.count) binary packages pending, \(scan.installedCount) installed")
                    if detector.alerted != before { Self.writeAlerted(detector.alerted, to: alertedPath, logger: logger) }
                    if let detection {
                        let alert = factory.alert(for: detection)
                        Self.log(alert, to: logger)
                        await sink.submit(alert)
                    }
                } catch {
                    logger.error("security scan failed: \(error)")
                }
            }
        } onCancel: {
            stop.stop()
        }
        await watching.value
    }

    /// Blocks its own thread: calls `changed` after a settled change of the watched files' fingerprint, and when
    /// `interval` passes without one. Returns on `stop`.
    private static func watchPackageFiles(
        _ directories: [String], fingerprint: PackageFilesFingerprint, interval: Duration, stop: FollowerStopSignal, changed: () -> Void
    ) {
        var watcher = FileWatcher()
        var known = fingerprint.current()
        while true {
            for directory in directories { watcher.watch(directory: directory) }
            // Without inotify, poll the fingerprint every minute instead.
            let timeout = watcher.usesInotify ? interval : min(interval, .seconds(60))
            switch watcher.wait(timeout: timeout, stop: stop) {
            case .stopped:
                return
            case .timeout where watcher.usesInotify:
                changed()
            case .changed, .timeout:
                // apt and dpkg write several files per run: wait until five quiet seconds have passed.
                var quiet = false
                while !quiet {
                    switch watcher.wait(timeout: .seconds(5), stop: stop) {
                    case .stopped: return
                    case .timeout: quiet = true
                    case .changed: continue
                    }
                }
                // Reading lists or locks wakes inotify too; only a new status file or new lists are worth a scan.
                let now = fingerprint.current()
                if now != known {
                    known = now
                    changed()
                }
            }
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The alerted `source candidate` keys saved by an earlier run (none on first start).
    private static func readAlerted(_ path: String) -> Set<String> {
        Set(String(decoding: AppendOnlyFile.readAll(path), as: UTF8.self).split(separator: "\n").map(String.init))
    }

    private static func writeAlerted(_ alerted: Set<String>, to path: String, logger: Logger) {
        do {
            try PrivateFile.replace(path, with: Array(alerted.sorted().map { $0 + "\n" }.joined().utf8))
        } catch {
            // Not fatal: after a restart the same updates would be alerted once more.
            logger.error("cannot save \(path): \(error)")
        }
    }
}

/// What decides whether a wake is worth a scan: dpkg's status file (rewritten on every install) and apt's lists
/// directory (new lists are renamed into it) by modification time and size.
struct PackageFilesFingerprint: Sendable {
    let statusPath: String
    let listsDirectory: String

    struct Value: Equatable {
        var status: [Int64]
        var lists: [Int64]
    }

    func current() -> Value {
        Value(status: Self.stamp(statusPath), lists: Self.stamp(listsDirectory))
    }

    private static func stamp(_ path: String) -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)]
    }
}
