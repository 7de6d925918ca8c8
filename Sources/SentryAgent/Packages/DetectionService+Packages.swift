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
        let family = PackageFamily.host
        let scanOnce: @Sendable (Int64) async throws -> PackagesScanOutcome
        let statusPath: String
        let listsDirectory: String
        switch family {
        case .debian:
            let scanner = SecurityUpdateScanner(
                runner: ProcessCommandRunner(), aptOptions: packages.aptOptions, status: DpkgStatusReader(path: packages.statusPath),
                cache: AptIndexCache())
            scanOnce = { now in PackagesScanOutcome(try await scanner.scan(), now: now) }
            (statusPath, listsDirectory) = (packages.statusPath, packages.listsDirectory)
        case .rhel:
            var configured = RPMSecurityScanner(runner: ProcessCommandRunner())
            configured.logDirectory = stateDirectory + "/dnf-log"
            let scanner = configured
            scanOnce = { now in PackagesScanOutcome(try await scanner.scan()) }
            // rpm's database (sqlite on RHEL 9 and Fedora, Berkeley DB before) and dnf's metadata cache.
            let sqlite = "/var/lib/rpm/rpmdb.sqlite"
            statusPath = FileManager.default.fileExists(atPath: sqlite) ? sqlite : "/var/lib/rpm/Packages"
            listsDirectory = "/var/cache/dnf"
        }
        let alertedPath = stateDirectory + "/security-updates-alerted.txt"
        var detector = SecurityUpdatesDetector(alerted: Self.readAlerted(alertedPath))
        let (wakes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let stop = FollowerStopSignal()
        let statusDirectory = Self.directory(of: statusPath)
        let fingerprint = PackageFilesFingerprint(statusPath: statusPath, listsDirectory: listsDirectory)
        let interval = packages.interval
        let watching = Task {
            await FollowerThread.run(name: "vigil-packages") {
                Self.watchPackageFiles([statusDirectory, listsDirectory], fingerprint: fingerprint, interval: interval, stop: stop) {
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
                    let now = wallClock()
                    let scan = try await scanOnce(now)
                    if let staleness = scan.staleness, staleness != lastStaleness { logger.warning("security updates: \(staleness)") }
                    lastStaleness = scan.staleness
                    for refused in scan.refused.prefix(5) { logger.warning("security updates: skipped \(refused)") }
                    let before = detector.alerted
                    let detection = detector.process(sources: scan.sources, pendingPackages: scan.pendingPackages, indexAge: scan.indexAge, now: now)
                    logger.info("security scan (\(family)): \(scan.pendingPackages) binary packages pending, \(scan.installedCount) installed")
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

/// One scan's findings as the detector loop needs them, from apt's lists or from dnf.
struct PackagesScanOutcome: Sendable {
    var sources: [PendingSource]
    var pendingPackages: Int
    var installedCount: Int
    /// Seconds since the package metadata was refreshed (apt's oldest security list; dnf's last expiration check).
    var indexAge: Int64?
    /// "index 3 days old", or nil when the metadata can be trusted.
    var staleness: String?
    var refused: [String]

    init(_ scan: SecurityScan, now: Int64) {
        sources = SecurityUpdatesDetector.group(scan.pending)
        pendingPackages = scan.pending.count
        installedCount = scan.installedCount
        indexAge = scan.indexAge(now: now)
        staleness = scan.staleness(now: now)
        refused = scan.refused
    }

    init(_ scan: RPMSecurityScan) {
        sources = scan.sources
        pendingPackages = scan.pending.count
        installedCount = scan.installedCount
        indexAge = scan.metadataAgeSeconds
        staleness = scan.metadataAgeSeconds.flatMap { age in
            age > SecurityScan.staleAfterSeconds ? "dnf metadata \(SecurityScan.ageText(age)) old" : nil
        }
        refused = scan.refused
    }
}
