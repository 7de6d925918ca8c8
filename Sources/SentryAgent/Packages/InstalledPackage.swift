import FoundationEssentials

/// One binary package dpkg reports as installed.
struct InstalledPackage: Sendable, Equatable {
    var name: String
    var architecture: String
    var version: DebianVersion
    /// The source package it was built from.
    var source: String
    /// The source's version: the binary's own, except for binNMUs (`+b1`) and packages versioned apart from their source.
    var sourceVersion: DebianVersion
    /// Marked `hold` (`apt-mark hold`): apt will not upgrade it, so an alert says so instead of offering the upgrade.
    var held: Bool
}

/// Reads the installed packages from dpkg's status database.
struct DpkgStatusReader: Sendable {
    /// `/var/lib/dpkg/status`, or a fixture in tests.
    var path = "/var/lib/dpkg/status"

    /// Why the status database could not be read, fit for a log line.
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// The packages whose status is `install ok installed` or `hold ok installed`; half-installed, config-files-only
    /// and deinstalled entries are left out (they have no files for an upgrade to replace). A stanza with a version
    /// dpkg would refuse is left out too and named in `refused`.
    func read() throws(ReadError) -> (packages: [InstalledPackage], refused: [String]) {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(filePath: path)))
        } catch {
            throw ReadError(description: "cannot read \(path): \(error)")
        }
        return Self.parse(bytes)
    }

    /// The installed packages of a status file's content, and `name: reason` for each stanza whose version is refused.
    static func parse(_ bytes: [UInt8]) -> (packages: [InstalledPackage], refused: [String]) {
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
