import Foundation
import Shared

/// The Ubuntu OSV feed's entry points for `vigil-bench vulns-ubuntu`.
public enum UbuntuOSVBenchmarks {
    /// The ecosystems a generated record lists, as Canonical's do (the LTS releases and their Pro streams).
    static let ecosystems = ["Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS", "Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:20.04:LTS"]

    /// Writes `records` CVE records shaped like Canonical's (five ecosystems each, thirty affected versions, ten
    /// binaries, a CVSS vector and a priority) and as many notices under `directory/osv`, then packs them with the real
    /// `tar` and `xz` into `directory/osv-all.tar.xz`. Returns the archive's path and the records' total size in bytes.
    public static func writeArchive(directory: String, records: Int) throws -> (path: String, uncompressedBytes: Int) {
        let cveDirectory = directory + "/osv/cve/2024"
        let noticeDirectory = directory + "/osv/usn"
        try FileManager.default.createDirectory(atPath: cveDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: noticeDirectory, withIntermediateDirectories: true)
        var bytes = 0
        for index in 0..<records {
            let source = "source-\(index % 3_000)"
            var affected: [String] = []
            for (position, ecosystem) in ecosystems.enumerated() {
                let base = "1.\(position).\(index % 7)"
                let versions = (0..<30).map { "\"\(base)-\($0)ubuntu1\"" }.joined(separator: ", ")
                let binaries = (0..<10).map { "{\"binary_name\": \"lib\(source)-\($0)\", \"binary_version\": \"\(base)-31ubuntu1\"}" }
                    .joined(separator: ", ")
                let fixed = (index + position) % 3 == 0 ? "" : ", {\"fixed\": \"\(base)-31ubuntu1\"}"
                affected.append(
                    """
                    {"package": {"ecosystem": "\(ecosystem)", "name": "\(source)", "purl": "pkg:deb/ubuntu/\(source)@\(base)-31ubuntu1?arch=source"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}\(fixed)]}], "versions": [\(versions)],
                     "ecosystem_specific": {"binaries": [\(binaries)], "availability": "No subscription required"}}
                    """)
            }
            let record = """
                {"schema_version": "1.7.0", "id": "UBUNTU-CVE-2024-\(10_000 + index)", "upstream": ["CVE-2024-\(10_000 + index)"],
                 "details": "A flaw was found in \(source) that allows a remote attacker to cause a denial of service.",
                 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}, {"type": "Ubuntu", "score": "medium"}],
                 "published": "2024-01-01T00:00:00Z", "modified": "2024-06-01T00:00:00Z", "affected": [\(affected.joined(separator: ", "))]}
                """
            bytes += record.utf8.count
            try Data(record.utf8).write(to: URL(fileURLWithPath: "\(cveDirectory)/UBUNTU-CVE-2024-\(10_000 + index).json"))
            let notice = "{\"id\": \"USN-\(index)-1\", \"upstream\": [\"UBUNTU-CVE-2024-\(10_000 + index)\"], \"affected\": []}"
            try Data(notice.utf8).write(to: URL(fileURLWithPath: "\(noticeDirectory)/USN-\(index)-1.json"))
        }
        let archive = directory + "/osv-all.tar.xz"
        // The fastest xz preset: only decompression is measured, and xz decompresses every preset at about one speed.
        let environment = ProcessInfo.processInfo.environment.merging(["XZ_OPT": "-0"]) { $1 }
        let child = try ProgramSpawner.spawn(
            ["/usr/bin/tar", "-C", directory, "-cJf", archive, "osv"], environment: environment, standardError: .inherit)
        guard child.waitForExit() == .exited(0) else { throw TrackerFeedError("tar could not write \(archive)") }
        try FileManager.default.removeItem(atPath: directory + "/osv")
        return (archive, bytes)
    }

    /// Parses the archive at `path` for noble and jammy into a fresh hub database at `databasePath`, as a refresh does
    /// after the download. Returns the number of advisories stored.
    public static func refresh(archivePath path: String, databasePath: String) throws -> Int {
        let store = try HubStore.open(path: databasePath)
        let versions = ["ubuntu/noble": "24.04", "ubuntu/jammy": "22.04"]
        return try store.replaceAdvisories(
            feed: .ubuntuOSV, state: VulnerabilityFeedState(releases: versions.keys.sorted(), advisories: 0)
        ) { body in try UbuntuOSVFeedReader(versions: versions).read(path: path, body) }
    }

    /// The baseline: `tar` alone decompressing the same members to a pipe that is drained. Returns the bytes read.
    public static func decompressOnly(archivePath path: String) throws -> Int {
        let child = try ProgramSpawner.spawn(
            ["/usr/bin/tar", "--extract", "--xz", "--to-stdout", "--file", path, "--wildcards", UbuntuOSVFeedReader.memberPattern],
            standardOutput: .pipe)
        guard let output = child.standardOutput else { return 0 }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            total += count
        }
        guard child.waitForExit() == .exited(0) else { throw TrackerFeedError("tar could not read \(path)") }
        return total
    }
}
