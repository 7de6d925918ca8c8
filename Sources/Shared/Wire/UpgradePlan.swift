import Crypto
import FoundationEssentials

/// What `apt-get -s install --only-upgrade <pins>` would do, as the agent parsed it: the operator confirms this, and
/// the agent runs the upgrade only while a fresh simulation still hashes to the same `hash`.
public struct UpgradePlan: Codable, Sendable, Equatable {
    /// Hex SHA-256 (first 8 bytes: it travels in a Telegram button) over the sorted `name installed candidate` lines of `upgrades`.
    public var hash: String
    /// Installed packages that move to a new version.
    public var upgrades: [PlannedUpgrade]
    /// Packages apt would newly install (a plan with any is refused before running).
    public var newPackages: [String]
    /// Packages apt would remove (a plan with any is refused before running).
    public var removals: [String]

    public init(upgrades: [PlannedUpgrade], newPackages: [String] = [], removals: [String] = []) {
        let sorted = upgrades.sorted { ($0.package, $0.installed, $0.candidate) < ($1.package, $1.installed, $1.candidate) }
        self.upgrades = sorted
        self.newPackages = newPackages.sorted()
        self.removals = removals.sorted()
        self.hash = Self.hash(sorted)
    }

    /// The plan hash: every line `name installed candidate\n`, sorted, SHA-256, the first 8 bytes in hex.
    public static func hash(_ upgrades: [PlannedUpgrade]) -> String {
        let text = upgrades.map { "\($0.package) \($0.installed) \($0.candidate)\n" }.sorted().joined()
        let digest = SHA256.hash(data: Array(text.utf8))
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest.prefix(8) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One package of an upgrade plan.
public struct PlannedUpgrade: Codable, Sendable, Equatable {
    /// `name` or `name:arch`, as apt prints it.
    public var package: String
    public var installed: String
    public var candidate: String

    public init(package: String, installed: String, candidate: String) {
        self.package = package
        self.installed = installed
        self.candidate = candidate
    }
}
