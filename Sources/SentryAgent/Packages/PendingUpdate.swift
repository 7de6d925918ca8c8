import FoundationEssentials
import Shared

/// A binary package with a security update waiting: what `sentry-agent packages scan` prints, one per line.
struct PendingUpdate: Sendable, Equatable, Encodable {
    var package: String
    var architecture: String
    var installed: DebianVersion
    var candidate: DebianVersion
    var source: String
    var sourceVersion: DebianVersion
    var held: Bool

    /// The documented field names of the CLI contract.
    private enum CodingKeys: String, CodingKey {
        case package, installed, candidate, source, held
        case architecture = "arch"
        case sourceVersion = "source_version"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(package, forKey: .package)
        try container.encode(architecture, forKey: .architecture)
        try container.encode(installed.description, forKey: .installed)
        try container.encode(candidate.description, forKey: .candidate)
        try container.encode(source, forKey: .source)
        try container.encode(sourceVersion.description, forKey: .sourceVersion)
        try container.encode(held, forKey: .held)
    }

    /// One JSON object, keys sorted (as `sentry-agent listeners` prints them): `arch`, `candidate`, `held`,
    /// `installed`, `package`, `source`, `source_version`.
    var jsonLine: String {
        get throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }
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
