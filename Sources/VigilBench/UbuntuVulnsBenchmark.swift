import ArgumentParser
import BotHub
import Foundation

/// `vigil-bench vulns-ubuntu`: the Ubuntu OSV feed's refresh (tar + xz to a pipe, each record decoded alone, stored) on a
/// generated archive shaped like Canonical's, against `tar` decompressing the same members alone, in the same run.
struct UbuntuVulnsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vulns-ubuntu",
        abstract: "Ubuntu OSV refresh time and peak RSS on a generated osv-all.tar.xz; tar alone as the baseline."
    )

    @Option(help: "CVE records in the generated archive (Canonical's has tens of thousands).")
    var records = 40_000

    func run() throws {
        let directory = NSTemporaryDirectory() + "vigil-bench-osv-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }  // A leftover temporary directory is harmless.
        let archive = try UbuntuOSVBenchmarks.writeArchive(directory: directory, records: records)
        let archiveBytes = (try FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int) ?? 0
        let before = VulnsBenchmark.peakResidentMiB()

        let baselineStart = ContinuousClock.now
        let decompressed = try UbuntuOSVBenchmarks.decompressOnly(archivePath: archive.path)
        let baseline = ContinuousClock.now - baselineStart

        let start = ContinuousClock.now
        let stored = try UbuntuOSVBenchmarks.refresh(archivePath: archive.path, databasePath: directory + "/hub.sqlite")
        let refresh = ContinuousClock.now - start
        let peak = VulnsBenchmark.peakResidentMiB()
        print("| Measure | Value | Baseline (same run) |")
        print("|---|---|---|")
        print(
            "| Ubuntu OSV refresh: \(records) records, \(mib(archive.uncompressedBytes)) MiB of JSON (\(mib(archiveBytes)) MiB as .tar.xz), 2 releases | \(VulnsBenchmark.seconds(refresh)) s, \(stored) advisories | tar alone: \(VulnsBenchmark.seconds(baseline)) s for \(mib(decompressed)) MiB; target ≤ 60 s |"
        )
        print("| Peak RSS of the process during the refresh (tar's own memory apart) | \(peak) MiB | \(before) MiB before it; target ≤ 300 MiB |")
    }

    private func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
}
