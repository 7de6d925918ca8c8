import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// What one scan found: the pending binaries, the security indexes read and how old they are.
struct SecurityScan: Sendable {
    /// Older than this, an index is reported as stale rather than trusted in silence.
    static let staleAfterSeconds: Int64 = 48 * 3600

    var pending: [PendingUpdate]
    /// The security indexes read, with the Unix time each was last written by apt.
    var indexes: [(index: SecurityIndex, modified: Int64)]
    var installedCount: Int
    /// Entries refused on the way (unparsable versions), `name: reason`.
    var refused: [String]

    /// Seconds since the oldest security index was written, or nil without any.
    func indexAge(now: Int64) -> Int64? {
        indexes.map { $0.modified }.min().map { max(0, now - $0) }
    }

    /// "index 3 days old" when the oldest index is past `staleAfterSeconds`, "no security index" without one; nil
    /// when the data can be trusted.
    func staleness(now: Int64) -> String? {
        guard let age = indexAge(now: now) else { return "no security index (apt has no source labelled Debian-Security or *-security)" }
        guard age > Self.staleAfterSeconds else { return nil }
        return "index \(Self.ageText(age)) old"
    }

    /// `6 h`, `3 days`: the unit an operator reads at a glance.
    static func ageText(_ seconds: Int64) -> String {
        if seconds < 3600 { return "\(seconds / 60) min" }
        if seconds < 2 * 86400 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) days"
    }
}

/// Finds pending security updates from the host's own apt metadata, as unattended-upgrades picks them: no external
/// feed, nothing sent anywhere. `apt-get indextargets` names the Packages indexes (so the host's sources, proxies and
/// architectures are apt's business), `apt-helper cat-file` decompresses them, and `DebianVersion` compares.
struct SecurityUpdateScanner: Sendable {
    var runner: any CommandRunner
    var aptGet = "/usr/bin/apt-get"
    var aptHelper = "/usr/lib/apt/apt-helper"
    /// `-o Name=value` pairs handed to `apt-get`, as given (tests point apt at private lists this way).
    var aptOptions: [String] = []
    var status = DpkgStatusReader()
    /// Keeps the indexes and candidates while apt's configuration and lists are unchanged (nil: always read anew).
    var cache: AptIndexCache?

    /// Why a scan could not be made, fit for a log line.
    struct ScanError: Error, CustomStringConvertible {
        let description: String
    }

    /// The security indexes apt knows, each with its list file's modification time.
    func securityIndexes() async throws(ScanError) -> [(index: SecurityIndex, modified: Int64)] {
        let output = await runner.run(
            ProgramInvocation(aptGet, aptOptions + ["indextargets", "--format", SecurityIndex.format, "Created-By: Packages"], timeout: .seconds(60)))
        guard output.succeeded else { throw ScanError(description: "apt-get indextargets: \(output.failureReason)") }
        return SecurityIndex.parse(indextargets: String(decoding: output.standardOutput, as: UTF8.self)).filter(\.isSecurity).compactMap {
            index -> (index: SecurityIndex, modified: Int64)? in
            var info = stat()
            // apt lists an index it has not downloaded yet (a source added since the last update): nothing to read.
            guard stat(index.path, &info) == 0 else { return nil }
            return (index, Int64(info.st_mtim.tv_sec))
        }
    }

    /// The candidates of `indexes`, each list read through `apt-helper cat-file` (which knows every compression apt
    /// stores lists in).
    func candidates(_ indexes: [SecurityIndex]) async throws(ScanError) -> SecurityCandidates {
        var candidates = SecurityCandidates()
        for index in indexes {
            let output = await runner.run(ProgramInvocation(aptHelper, ["cat-file", index.path], timeout: .seconds(60)))
            guard output.succeeded else { throw ScanError(description: "apt-helper cat-file \(index.path): \(output.failureReason)") }
            candidates.add(index: output.standardOutput)
        }
        return candidates
    }

    /// A full scan: indexes, candidates, installed packages. With a cache, the indexes and candidates of the last
    /// scan are reused while nothing they depend on changed (then only the status file is read).
    func scan() async throws(ScanError) -> SecurityScan {
        let stamp = cache.map { _ in AptIndexCache.stamp(aptOptions: aptOptions) }
        if let stamp, let hit = cache?.lookup(stamp) { return try rescan(candidates: hit.candidates, indexes: hit.indexes) }
        let indexes = try await securityIndexes()
        let offered = try await candidates(indexes.map { $0.index })
        if let stamp { cache?.store(AptIndexCache.Entry(stamp: stamp, indexes: indexes, candidates: offered)) }
        return try rescan(candidates: offered, indexes: indexes)
    }

    /// The status-only half of a scan: the installed packages matched against candidates already read.
    func rescan(candidates: SecurityCandidates, indexes: [(index: SecurityIndex, modified: Int64)]) throws(ScanError) -> SecurityScan {
        let installed: (packages: [InstalledPackage], refused: [String])
        do {
            installed = try status.read()
        } catch {
            throw ScanError(description: error.description)
        }
        return SecurityScan(
            pending: candidates.pending(installed.packages), indexes: indexes, installedCount: installed.packages.count,
            refused: installed.refused + candidates.refused)
    }
}
