import Shared

/// A binary package with a security update waiting: what `sentry-agent packages scan` prints, one per line.
struct PendingUpdate: Sendable, Equatable {
    var package: String
    var architecture: String
    var installed: DebianVersion
    var candidate: DebianVersion
    var source: String
    var sourceVersion: DebianVersion
    var held: Bool

    /// One JSON object, keys in the documented order:
    /// `{"package":…,"arch":…,"installed":…,"candidate":…,"source":…,"source_version":…,"held":…}`.
    var jsonLine: String {
        let strings = [
            ("package", package), ("arch", architecture), ("installed", installed.description), ("candidate", candidate.description),
            ("source", source), ("source_version", sourceVersion.description),
        ]
        return "{" + strings.map { "\"\($0)\":\(Self.quoted($1))" }.joined(separator: ",") + ",\"held\":\(held)}"
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The newest version each security index offers per package and architecture: built once per index change, then
/// matched against the installed packages on every status change (the cheap half of a rescan).
struct SecurityCandidates: Sendable {
    private struct Key: Hashable {
        var name: String
        var architecture: String
    }

    private var newest: [Key: DebianVersion] = [:]
    /// Stanzas whose version dpkg would refuse, `name: reason`.
    private(set) var refused: [String] = []

    /// Nothing on offer.
    init() {}

    /// Adds the stanzas of one `Packages` index's content.
    mutating func add(index bytes: [UInt8]) {
        ControlStanzas.forEach(in: bytes) { stanza in
            guard let name = stanza.package, let text = stanza.version else { return }
            let version: DebianVersion
            do {
                version = try DebianVersion(text)
            } catch {
                refused.append("\(name): \(error)")
                return
            }
            let key = Key(name: name, architecture: stanza.architecture ?? "all")
            if let known = newest[key], known >= version { return }
            newest[key] = version
        }
    }

    /// How many (package, architecture) pairs are on offer.
    var count: Int { newest.count }

    /// The newest candidate for an installed binary: same name, same architecture, or `all` on either side (a
    /// package may move between `all` and an architecture from one version to the next).
    func candidate(for package: InstalledPackage) -> DebianVersion? {
        let own = newest[Key(name: package.name, architecture: package.architecture)]
        let other = package.architecture == "all" ? nil : newest[Key(name: package.name, architecture: "all")]
        switch (own, other) {
        case (let own?, let other?): return max(own, other)
        case (let own?, nil): return own
        case (nil, let other?): return other
        case (nil, nil):
            return nil
        }
    }

    /// The installed binaries a security index offers a newer version of, sorted by source then package.
    func pending(_ installed: [InstalledPackage]) -> [PendingUpdate] {
        installed.compactMap { package in
            guard let candidate = candidate(for: package), candidate > package.version else { return nil }
            return PendingUpdate(
                package: package.name, architecture: package.architecture, installed: package.version, candidate: candidate, source: package.source,
                sourceVersion: package.sourceVersion, held: package.held)
        }.sorted { ($0.source, $0.package, $0.architecture) < ($1.source, $1.package, $1.architecture) }
    }
}
