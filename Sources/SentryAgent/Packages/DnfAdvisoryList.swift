import FoundationEssentials
import Shared

/// One line of `dnf updateinfo list --security --available`: an advisory that fixes an installed package, and the
/// package version (NEVRA) that carries the fix.
struct DnfAdvisory: Sendable, Equatable {
    /// `RHSA-2025:1234`, `FEDORA-2025-0a1b2c3d4e`, `ALSA-…`.
    var id: String
    /// `Critical`, `Important`, `Moderate`, `Low`, or `Unknown` when the advisory names none.
    var severity: String
    var name: String
    var architecture: String
    /// `[epoch:]version-release` of the fixed package.
    var version: RPMVersion
}

/// Reads what dnf 4 prints for `dnf updateinfo list --security --available` (with `LC_ALL=C`):
///
///     Last metadata expiration check: 1 day, 2:03:04 ago on Mon 01 Dec 2025 08:00:00 AM UTC.
///     RHSA-2025:1234 Important/Sec.  openssl-libs-1:3.0.7-27.el9.x86_64
///     FEDORA-2025-0a1b Unknown/Sec.  curl-8.6.0-10.fc40.x86_64
///
/// Lines that are not advisories (subscription-manager's notices, a blank line) are skipped; an advisory line whose
/// NEVRA does not parse is kept in `refused` with its reason.
enum DnfAdvisoryList {
    struct Parsed: Sendable, Equatable {
        var advisories: [DnfAdvisory] = []
        /// Seconds since dnf last checked its repositories' metadata, from its own "Last metadata expiration check".
        var metadataAgeSeconds: Int64?
        var refused: [String] = []
    }

    static func parse(_ text: String) -> Parsed {
        var parsed = Parsed()
        for line in text.split(whereSeparator: \.isNewline) {
            if let age = metadataAge(line) {
                parsed.metadataAgeSeconds = age
                continue
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 3, let severity = securitySeverity(fields[1]) else { continue }
            do {
                let (name, version, architecture) = try nevra(fields[2])
                parsed.advisories.append(
                    DnfAdvisory(id: String(fields[0]), severity: severity, name: name, architecture: architecture, version: version))
            } catch {
                parsed.refused.append("\(fields[0]) \(fields[2]): \(error)")
            }
        }
        return parsed
    }

    /// `Important/Sec.` → `Important`; nil for the other advisory types (`bugfix`, `enhancement`).
    static func securitySeverity(_ label: Substring) -> String? {
        guard label.hasSuffix("/Sec.") else { return label == "security" ? "Unknown" : nil }
        return String(label.dropLast("/Sec.".count))
    }

    struct NEVRAError: Error, CustomStringConvertible {
        let description: String
    }

    /// `name-[epoch:]version-release.arch`: the architecture after the last dot, the release after the last hyphen
    /// before it, the version after the hyphen before that (names may hold hyphens, releases dots).
    static func nevra(_ text: Substring) throws -> (name: String, version: RPMVersion, architecture: String) {
        guard let dot = text.lastIndex(of: "."), let releaseHyphen = text[..<dot].lastIndex(of: "-"),
            let versionHyphen = text[..<releaseHyphen].lastIndex(of: "-"), versionHyphen != text.startIndex
        else { throw NEVRAError(description: "not name-version-release.arch") }
        let architecture = text[text.index(after: dot)...]
        let release = text[text.index(after: releaseHyphen)..<dot]
        let version = text[text.index(after: versionHyphen)..<releaseHyphen]
        guard !architecture.isEmpty, !release.isEmpty, !version.isEmpty else { throw NEVRAError(description: "an empty version, release or arch") }
        return (String(text[..<versionHyphen]), try RPMVersion("\(version)-\(release)"), String(architecture))
    }

    /// `Last metadata expiration check: 1 day, 2:03:04 ago on …` → 93784 (Python's `timedelta` text).
    static func metadataAge(_ line: Substring) -> Int64? {
        let prefix = "Last metadata expiration check: "
        guard line.hasPrefix(prefix), let ago = line.firstRange(of: " ago") else { return nil }
        var text = line[line.index(line.startIndex, offsetBy: prefix.count)..<ago.lowerBound]
        var days: Int64 = 0
        if let comma = text.firstIndex(of: ",") {
            guard let count = Int64(text[..<comma].split(separator: " ").first ?? "") else { return nil }
            days = count
            text = text[text.index(after: comma)...].drop(while: { $0 == " " })
        }
        let clock = text.split(separator: ":").map { Int64($0) }
        guard clock.count == 3, let hours = clock[0], let minutes = clock[1], let seconds = clock[2] else { return nil }
        return days * 86_400 + hours * 3600 + minutes * 60 + seconds
    }
}
