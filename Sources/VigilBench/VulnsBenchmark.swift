import ArgumentParser
import BotHub
import Foundation

/// `vigil-bench vulns`: the vulnerability feed's refresh (parse and store of a generated tracker-format feed) with its
/// time and peak memory, and the matching of a 3,000-package inventory against one release.
struct VulnsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vulns",
        abstract: "Feed refresh time and peak RSS on a generated ~70 MB tracker feed; matching a 3,000-package inventory."
    )

    @Option(help: "Source packages in the generated feed (the real tracker has about 40,000, ~70 MB).")
    var sources = 25_000

    @Option(help: "CVEs per source package.")
    var cves = 6

    @Option(help: "Source packages in the matched inventory.")
    var packages = 3_000

    @Option(help: "Timed rounds of each match (the best is reported).")
    var rounds = 5

    func run() async throws {
        let directory = NSTemporaryDirectory() + "vigil-bench-vulns-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }  // A leftover temporary directory is harmless.
        let feed = directory + "/tracker.json"
        let database = directory + "/hub.sqlite"
        let bytes = try VulnerabilityBenchmarks.writeFeed(path: feed, sources: sources, cves: cves)
        let before = Self.peakResidentMiB()

        let start = ContinuousClock.now
        let cpuStart = Self.cpuSeconds()
        let stored = try VulnerabilityBenchmarks.refresh(feedPath: feed, databasePath: database, releases: ["bookworm", "bullseye"])
        let refresh = ContinuousClock.now - start
        let refreshCPU = Self.cpuSeconds() - cpuStart
        let peak = Self.peakResidentMiB()
        let prepared = try VulnerabilityBenchmarks.prepare(databasePath: database, packages: packages)
        var matched = 0
        let perPureMatch = nanosecondsPerRun(iterations: 1, rounds: rounds) { matched = prepared.run() }

        var findings = 0
        let perMatch = nanosecondsPerRun(iterations: 1, rounds: rounds) {
            do {
                findings = try VulnerabilityBenchmarks.match(databasePath: database, packages: packages)
            } catch {
                print("match failed: \(error)")
            }
        }
        var everyRowFindings = 0
        let perEveryRowMatch = nanosecondsPerRun(iterations: 1, rounds: rounds) {
            do {
                everyRowFindings = try VulnerabilityBenchmarks.match(databasePath: database, packages: packages, matchableOnly: false)
            } catch {
                print("match failed: \(error)")
            }
        }
        print("| Measure | Value | Baseline |")
        print("|---|---|---|")
        print(
            "| Feed refresh: parse + store, \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB feed, 2 releases | \(Self.seconds(refresh)) s wall, \(String(format: "%.1f", refreshCPU)) s CPU, \(stored) advisories | target ≤ 60 s |"
        )
        print("| Peak RSS during the refresh | \(peak) MiB | \(before) MiB before it (generator included); target ≤ 300 MiB |")
        print(
            "| Match \(packages) source packages against one release (read + match) | \(String(format: "%.1f", perMatch / 1e6)) ms, \(findings) findings | \(String(format: "%.1f", perEveryRowMatch / 1e6)) ms reading every row (\(everyRowFindings) findings), same run; target ≤ 100 ms |"
        )
        print(
            "| Match \(packages) source packages, advisories in memory (match + rank) | \(String(format: "%.1f", perPureMatch / 1e6)) ms, \(matched) findings | target ≤ 100 ms |"
        )
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// CPU time of the process (all threads), in seconds: on a loaded machine the wall time says more about the load.
    private static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The process's peak resident set so far (`ru_maxrss`, KiB on Linux), in MiB.
    static func peakResidentMiB() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss / 1024
    }
}
