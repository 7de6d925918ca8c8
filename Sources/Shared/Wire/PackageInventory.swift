import Crypto
import FoundationEssentials

/// What an agent has installed, grouped by source package: sent sealed to the hub's `POST /inventory` when it changes,
/// so the hub can match the fleet against one vulnerability feed (the inventory never leaves the organisation).
public struct PackageInventory: Codable, Sendable, Equatable {
    public var agent: String
    public var hostname: String
    /// `ID` from `/etc/os-release` (`debian`, `ubuntu`).
    public var distribution: String
    /// `VERSION_CODENAME` from `/etc/os-release` (`bookworm`); the release the feed is matched against.
    public var release: String
    /// `VERSION_ID` from `/etc/os-release` (`24.04`): Ubuntu's OSV records name a release by it
    /// (`Ubuntu:24.04:LTS`), not by its codename. Absent from older agents.
    public var versionId: String?
    public var sources: [SourcePackage]
    public var collectedAt: Date
    /// The source packages whose programs hold a listening socket bound beyond loopback (reachable from outside),
    /// sorted; the hub doubles their vulnerabilities' impact. Absent from agents that do not scan listeners.
    public var exposed: [String]?

    /// One installed source package: its version (a binNMU's `Source: name (version)`, not the binary's) and the
    /// binaries built from it that are installed.
    public struct SourcePackage: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var binaries: [BinaryPackage]

        public init(name: String, version: String, binaries: [BinaryPackage]) {
            self.name = name
            self.version = version
            self.binaries = binaries
        }
    }

    /// One installed binary package.
    public struct BinaryPackage: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var architecture: String

        public init(name: String, version: String, architecture: String) {
            self.name = name
            self.version = version
            self.architecture = architecture
        }
    }

    public init(
        agent: String, hostname: String, distribution: String, release: String, sources: [SourcePackage], collectedAt: Date,
        exposed: [String]? = nil, versionId: String? = nil
    ) {
        self.exposed = exposed
        self.versionId = versionId
        self.agent = agent
        self.hostname = hostname
        self.distribution = distribution
        self.release = release
        self.sources = sources
        self.collectedAt = collectedAt
    }

    /// Groups installed binaries by source and version, sorted, so the same packages always make the same inventory
    /// (and the same hash).
    public static func sources(of packages: [InstalledPackage]) -> [SourcePackage] {
        var grouped: [String: [InstalledPackage]] = [:]
        for package in packages { grouped["\(package.source) \(package.sourceVersion.description)", default: []].append(package) }
        return grouped.values.compactMap { group -> SourcePackage? in
            guard let first = group.first else { return nil }
            let binaries = group.map { BinaryPackage(name: $0.name, version: $0.version.description, architecture: $0.architecture) }
                .sorted { ($0.name, $0.architecture) < ($1.name, $1.architecture) }
            return SourcePackage(name: first.source, version: first.sourceVersion.description, binaries: binaries)
        }
        .sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    /// A digest of what is installed (not of when it was read): the agent sends its inventory only when this changes.
    public func contentHash() throws -> String {
        var stable = self
        stable.collectedAt = Date(timeIntervalSince1970: 0)
        return SHA256.hash(data: try WireCoding.encode(stable)).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }
        .joined()
    }
}
