import FoundationEssentials
import Shared

/// An installed RPM as `rpm -qa` describes it.
struct RPMInstalledPackage: Sendable, Equatable {
    var name: String
    var architecture: String
    var version: RPMVersion
    /// The source RPM's name (`openssl` for `openssl-libs`), from `%{SOURCERPM}`.
    var source: String

    /// The query format `parse` reads: one package per line, tab-separated.
    static let queryFormat = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"

    /// The packages of `rpm -qa --qf queryFormat`; `gpg-pubkey` and other entries without a source RPM are not packages
    /// dnf upgrades and are left out.
    static func parse(_ text: String) -> (packages: [RPMInstalledPackage], refused: [String]) {
        var packages: [RPMInstalledPackage] = []
        var refused: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 6, fields[5] != "(none)" else { continue }
            let epoch = fields[1] == "0" ? "" : "\(fields[1]):"
            do {
                let version = try RPMVersion("\(epoch)\(fields[2])-\(fields[3])")
                packages.append(
                    RPMInstalledPackage(name: String(fields[0]), architecture: String(fields[4]), version: version, source: sourceName(fields[5])))
            } catch {
                refused.append("\(fields[0]): \(error)")
            }
        }
        return (packages, refused)
    }

    /// `openssl-3.0.7-27.el9.src.rpm` → `openssl`: the name before the version and release.
    static func sourceName(_ sourceRPM: Substring) -> String {
        var text = sourceRPM
        for suffix in [".rpm", ".src", ".nosrc"] where text.hasSuffix(suffix) { text = text.dropLast(suffix.count) }
        for _ in 0..<2 {
            guard let hyphen = text.lastIndex(of: "-") else { break }
            text = text[..<hyphen]
        }
        return String(text)
    }
}

/// One scan on an RPM host: the installed binaries dnf's security advisories offer a newer version of.
struct RPMSecurityScan: Sendable, Equatable {
    struct Pending: Sendable, Equatable {
        var package: String
        var architecture: String
        var installed: RPMVersion
        /// The newest version an advisory offers.
        var candidate: RPMVersion
        var source: String
        /// Every advisory that offers a newer version, sorted.
        var advisories: [String]
        /// The worst severity among them.
        var severity: String
    }

    var pending: [Pending]
    var installedCount: Int
    /// Seconds since dnf last refreshed its repositories' metadata (nil when it did not say).
    var metadataAgeSeconds: Int64?
    var refused: [String]

    /// The installed packages `advisories` fix, grouped per package and architecture; an advisory for a version not
    /// newer than the newest installed one (an install-only kernel) is not pending.
    static func match(_ advisories: [DnfAdvisory], installed: [RPMInstalledPackage]) -> [Pending] {
        var byKey: [String: Pending] = [:]
        for advisory in advisories {
            let sameName = installed.filter {
                $0.name == advisory.name && ($0.architecture == advisory.architecture || advisory.architecture == "noarch")
            }
            guard let newest = sameName.max(by: { $0.version < $1.version }), advisory.version > newest.version else { continue }
            let key = "\(newest.name).\(newest.architecture)"
            var entry =
                byKey[key]
                ?? Pending(
                    package: newest.name, architecture: newest.architecture, installed: newest.version, candidate: advisory.version,
                    source: newest.source, advisories: [], severity: advisory.severity)
            if advisory.version > entry.candidate { entry.candidate = advisory.version }
            if !entry.advisories.contains(advisory.id) { entry.advisories.append(advisory.id) }
            entry.advisories.sort()
            if rank(advisory.severity) > rank(entry.severity) { entry.severity = advisory.severity }
            byKey[key] = entry
        }
        return byKey.values.sorted { ($0.source, $0.package, $0.architecture) < ($1.source, $1.package, $1.architecture) }
    }

    private static func rank(_ severity: String) -> Int {
        ["Unknown", "Low", "Moderate", "Important", "Critical"].firstIndex(of: severity) ?? 0
    }

    /// The pending packages grouped by source RPM, kernels first: what the `security_updates` alert lists. There are
    /// no pins: the upgrade action runs apt only.
    var sources: [PendingSource] {
        var bySource: [String: [Pending]] = [:]
        for update in pending { bySource[update.source, default: []].append(update) }
        return bySource.map { entry -> PendingSource in
            let (source, updates) = entry
            let installed = updates.map(\.installed).min() ?? updates[0].installed
            let candidate = updates.map(\.candidate).max() ?? updates[0].candidate
            return PendingSource(
                source: source, installed: installed.description, candidate: candidate.description,
                packages: updates.map { $0.architecture == "noarch" ? $0.package : "\($0.package).\($0.architecture)" }, held: false,
                needsReboot: source == "kernel" || updates.contains { $0.package.hasPrefix("kernel") })
        }.sorted { ($0.needsReboot ? 0 : 1, $0.source) < ($1.needsReboot ? 0 : 1, $1.source) }
    }
}

/// Finds pending security updates on a RHEL-family host from dnf's own metadata cache (`-C`: no download, as the
/// Debian scan reads apt's lists as they are): `dnf updateinfo list --security --available` for the advisories,
/// `rpm -qa` for what is installed, `RPMVersion` to compare.
struct RPMSecurityScanner: Sendable {
    var runner: any CommandRunner
    var dnf = "/usr/bin/dnf"
    var rpm = "/usr/bin/rpm"
    /// Arguments before dnf's command (tests: `--installroot`, `--setopt=reposdir=…`, `--setopt=cachedir=…`).
    var dnfOptions: [String] = []
    /// Arguments before rpm's query (tests: `--root`).
    var rpmOptions: [String] = []
    /// Extra environment for both (tests: `HOME`, where Debian's rpm keeps its database).
    var environment: [String: String] = [:]
    /// Where dnf writes its logs (`--setopt=logdir=`), created when missing. dnf refuses to run when it cannot open
    /// `hawkey.log`, and under the agent's unit (`ProtectSystem=strict`) `/var/log` is read-only: the agent passes a
    /// directory in its state directory.
    var logDirectory: String?

    func scan() async throws(SecurityUpdateScanner.ScanError) -> RPMSecurityScan {
        var options = dnfOptions
        if let logDirectory {
            do {
                try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            } catch {
                throw SecurityUpdateScanner.ScanError(description: "dnf's log directory \(logDirectory): \(error)")
            }
            options.append("--setopt=logdir=\(logDirectory)")
        }
        let listed = await runner.run(
            ProgramInvocation(
                dnf, options + ["--cacheonly", "updateinfo", "list", "--security", "--available"], timeout: .seconds(300), environment: environment))
        guard listed.succeeded else { throw SecurityUpdateScanner.ScanError(description: "dnf updateinfo list: \(listed.failureReason)") }
        let advisories = DnfAdvisoryList.parse(String(decoding: listed.standardOutput, as: UTF8.self))
        let queried = await runner.run(
            ProgramInvocation(rpm, rpmOptions + ["-qa", "--qf", RPMInstalledPackage.queryFormat], timeout: .seconds(120), environment: environment))
        guard queried.succeeded else { throw SecurityUpdateScanner.ScanError(description: "rpm -qa: \(queried.failureReason)") }
        let installed = RPMInstalledPackage.parse(String(decoding: queried.standardOutput, as: UTF8.self))
        return RPMSecurityScan(
            pending: RPMSecurityScan.match(advisories.advisories, installed: installed.packages), installedCount: installed.packages.count,
            metadataAgeSeconds: advisories.metadataAgeSeconds, refused: advisories.refused + installed.refused)
    }
}
