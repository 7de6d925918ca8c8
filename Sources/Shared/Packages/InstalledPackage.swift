import FoundationEssentials

/// One binary package dpkg reports as installed.
public struct InstalledPackage: Sendable, Equatable {
    public var name: String
    public var architecture: String
    public var version: DebianVersion
    /// The source package it was built from.
    public var source: String
    /// The source's version: the binary's own, except for binNMUs (`+b1`) and packages versioned apart from their source.
    public var sourceVersion: DebianVersion
    /// Marked `hold` (`apt-mark hold`): apt will not upgrade it, so an alert says so instead of offering the upgrade.
    public var held: Bool

    /// A package as dpkg reports it.
    public init(name: String, architecture: String, version: DebianVersion, source: String, sourceVersion: DebianVersion, held: Bool) {
        self.name = name
        self.architecture = architecture
        self.version = version
        self.source = source
        self.sourceVersion = sourceVersion
        self.held = held
    }
}

/// Reads the installed packages from dpkg's status database.
public struct DpkgStatusReader: Sendable {
    /// `/var/lib/dpkg/status`, or a fixture in tests.
    public var path = "/var/lib/dpkg/status"

    /// A reader of the status database at `path`.
    public init(path: String = "/var/lib/dpkg/status") { self.path = path }

    /// Why the status database could not be read, fit for a log line.
    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The packages whose status is `install ok installed` or `hold ok installed`; half-installed, config-files-only
    /// and deinstalled entries are left out (they have no files for an upgrade to replace). A stanza with a version
    /// dpkg would refuse is left out too and named in `refused`.
    public func read() throws(ReadError) -> (packages: [InstalledPackage], refused: [String]) {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(filePath: path)))
        } catch {
            throw ReadError(description: "cannot read \(path): \(error)")
        }
        return Self.parse(bytes)
    }

    /// The installed packages of a status file's content, and `name: reason` for each stanza whose version is refused.
    public static func parse(_ bytes: [UInt8]) -> (packages: [InstalledPackage], refused: [String]) {
        var packages: [InstalledPackage] = []
        var refused: [String] = []
        ControlStanzas.forEach(in: bytes) { stanza in
            guard let name = stanza.package, let status = stanza.status, let versionText = stanza.version else { return }
            let held: Bool
            switch status {
            case "install ok installed": held = false
            case "hold ok installed": held = true
            default: return
            }
            let source = ControlStanzas.source(stanza.source, package: name, version: versionText)
            do {
                packages.append(
                    InstalledPackage(
                        name: name, architecture: stanza.architecture ?? "all", version: try DebianVersion(versionText), source: source.name,
                        sourceVersion: try DebianVersion(source.version), held: held))
            } catch {
                refused.append("\(name): \(error)")
            }
        }
        return (packages, refused)
    }
}
