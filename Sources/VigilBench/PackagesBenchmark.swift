import ArgumentParser
import Foundation
import SentryAgent
import Shared

/// `vigil-bench packages`: dpkg version comparisons per second, the full security scan and the status-only rescan,
/// each beside a baseline measured in the same run.
struct PackagesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packages",
        abstract:
            "DebianVersion and RPMVersion comparisons/s (vs a byte-wise string compare), full security scan and status-only rescan times."
    )

    @Option(help: "Comparisons per timed round.")
    var comparisons = 10_000_000

    @Option(help: "dpkg's status database.")
    var status = "/var/lib/dpkg/status"

    func run() async throws {
        let versions = try Self.machineVersions()
        let parsed = try versions.map { try DebianVersion($0) }
        var generator = SystemRandomNumberGenerator()
        let pairs = (0..<65_536).map { _ in (Int.random(in: 0..<parsed.count, using: &generator), Int.random(in: 0..<parsed.count, using: &generator))
        }
        let mask = pairs.count - 1

        var sum = 0
        let perCompare =
            nanosecondsPerRun(iterations: 1, rounds: 5) {
                for index in 0..<comparisons {
                    let (left, right) = pairs[index & mask]
                    sum &+= DebianVersion.compare(parsed[left], parsed[right])
                }
            } / Double(comparisons)
        // The same loop timed in this thread's CPU time: the one-core figure, whatever else the machine runs.
        var bestCPU = Double.infinity
        for _ in 0..<5 {
            let start = Self.threadCPUSeconds()
            for index in 0..<comparisons {
                let (left, right) = pairs[index & mask]
                sum &+= DebianVersion.compare(parsed[left], parsed[right])
            }
            bestCPU = min(bestCPU, Self.threadCPUSeconds() - start)
        }
        let perCompareCPU = bestCPU * 1e9 / Double(comparisons)
        let strings = versions.map { Array($0.utf8) }
        let perByteCompare =
            nanosecondsPerRun(iterations: 1, rounds: 5) {
                for index in 0..<comparisons {
                    let (left, right) = pairs[index & mask]
                    sum &+= strings[left].lexicographicallyPrecedes(strings[right]) ? 1 : 0
                }
            } / Double(comparisons)
        // rpm's order over the same strings (each is a valid EVR: rpm refuses only an empty one).
        let rpmParsed = try versions.map { try RPMVersion($0) }
        let perRPMCompare =
            nanosecondsPerRun(iterations: 1, rounds: 5) {
                for index in 0..<comparisons {
                    let (left, right) = pairs[index & mask]
                    sum &+= RPMVersion.compare(rpmParsed[left], rpmParsed[right])
                }
            } / Double(comparisons)
        let parseCount = 200_000
        let perParseAndCompare =
            nanosecondsPerRun(iterations: 1, rounds: 3) {
                for index in 0..<parseCount {
                    let (left, right) = pairs[index & mask]
                    // Every version parsed once above, so none is refused here.
                    if let a = try? DebianVersion(versions[left]), let b = try? DebianVersion(versions[right]) { sum &+= DebianVersion.compare(a, b) }
                }
            } / Double(parseCount)
        blackHole(sum)

        let statusRead = try Self.bestSeconds(rounds: 10) { _ = try PackageChecks.installedPackageCount(statusPath: status) }
        let installed = try PackageChecks.installedPackageCount(statusPath: status)
        var pending = 0
        let fullScan = try await Self.bestSecondsAsync(rounds: 5) { pending = try await PackageChecks.pendingSecurityUpdateCount() }
        _ = try await PackageChecks.pendingSecurityUpdateCount(cached: true)
        let cachedScan = try await Self.bestSecondsAsync(rounds: 5) { pending = try await PackageChecks.pendingSecurityUpdateCount(cached: true) }
        let simulation = try Self.bestSeconds(rounds: 3) { try Self.runQuietly("/usr/bin/apt-get", ["-s", "dist-upgrade"]) }
        // Most of a full scan is `apt-get indextargets` itself, which opens apt's package cache: with the cache file
        // Debian keeps by default (`/var/cache/apt/pkgcache.bin`) that is a read, without it (container images set
        // `Dir::Cache::pkgcache ""`) apt rebuilds the cache in memory from every list, each run. Both, same run:
        let indexTargets = try Self.bestSeconds(rounds: 3) { try Self.runQuietly("/usr/bin/apt-get", ["indextargets"]) }
        let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-apt-cache-\(getpid())").path
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cacheDirectory) }
        let withCache = [
            "-o", "Dir::Cache::pkgcache=\(cacheDirectory)/pkgcache.bin", "-o", "Dir::Cache::srcpkgcache=\(cacheDirectory)/srcpkgcache.bin",
            "indextargets",
        ]
        try Self.runQuietly("/usr/bin/apt-get", withCache)  // builds the cache file once
        let indexTargetsCached = try Self.bestSeconds(rounds: 3) { try Self.runQuietly("/usr/bin/apt-get", withCache) }

        print("| measure | value | baseline (same run) |")
        print("|---|---|---|")
        print(
            "| DebianVersion.compare, \(versions.count) distinct versions of this machine | \(Self.millions(perCompare)) M/s | byte-wise `lexicographicallyPrecedes`: \(Self.millions(perByteCompare)) M/s |"
        )
        print("| DebianVersion.compare per CPU-second of one core | \(Self.millions(perCompareCPU)) M/s | |")
        print("| RPMVersion.compare (rpmvercmp order), the same versions and pairs | \(Self.millions(perRPMCompare)) M/s | |")
        print("| parse both + compare (strings, as apt's CmpVersion) | \(Self.millions(perParseAndCompare)) M/s | |")
        print("| status-only rescan (\(installed) installed packages) | \(Self.milliseconds(statusRead)) ms | |")
        print(
            "| full scan incl. `apt-get indextargets`, `apt-helper cat-file` (\(pending) pending) | \(Self.milliseconds(fullScan)) ms | `apt-get -s dist-upgrade`: \(Self.milliseconds(simulation)) ms |"
        )
        print("| rescan with apt's configuration and lists unchanged (indexes cached by their stamps) | \(Self.milliseconds(cachedScan)) ms | |")
        print(
            "| of the full scan, `apt-get indextargets` alone, apt's cache as configured here | \(Self.milliseconds(indexTargets)) ms | with apt's package cache file kept (Debian's default): \(Self.milliseconds(indexTargetsCached)) ms |"
        )
    }

    private static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func millions(_ nanoseconds: Double) -> String { String(format: "%.1f", 1_000 / nanoseconds) }
    private static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1_000) }

    /// Installed versions plus every version in apt's Packages lists, distinct.
    static func machineVersions() throws -> [String] {
        var versions = Set(try output("/usr/bin/dpkg-query", ["-W", "-f", "${Version}\\n"]).split(separator: "\n").map(String.init))
        let lists = try output("/usr/bin/apt-get", ["indextargets", "--format", "$(FILENAME)", "Created-By: Packages"])
        for list in lists.split(separator: "\n") {
            for line in try output("/usr/lib/apt/apt-helper", ["cat-file", String(list)]).split(separator: "\n") where line.hasPrefix("Version: ") {
                versions.insert(String(line.dropFirst(9)))
            }
        }
        return versions.sorted()
    }

    private static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private static func runQuietly(_ executable: String, _ arguments: [String]) throws {
        _ = try output(executable, arguments)
    }

    private static func bestSeconds(rounds: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            try body()
            best = min(best, seconds(ContinuousClock.now - start))
        }
        return best
    }

    private static func bestSecondsAsync(rounds: Int, _ body: () async throws -> Void) async throws -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            try await body()
            best = min(best, seconds(ContinuousClock.now - start))
        }
        return best
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
