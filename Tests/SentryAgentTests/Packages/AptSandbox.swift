import Foundation
import Shared

@testable import SentryAgent

/// Two local `file:` repositories built with `dpkg-deb -b` and `apt-ftparchive` (one labelled `Debian-Security`,
/// suite `bookworm-security`), a private dpkg status file, and apt options that point apt at them only: the host's
/// sources, lists, cache and status are never read or written.
struct AptSandbox {
    /// A binary package as the repositories and the status file describe it.
    struct Package {
        var name: String
        var version: String
        var architecture = "amd64"
        /// `name` or `name (version)`.
        var source: String?
        /// More control fields (`Conflicts: x`), each line ending in a newline.
        var fields = ""
        /// A file shipped by the package: `(path inside the package, file copied there)`.
        var file: (path: String, from: String)?
        /// A `preinst` maintainer script (a slow upgrade: `sleep 5`).
        var preinst: String?
    }

    let root: String
    /// `-o Name=value` pairs for `apt-get` and the scanner.
    let aptOptions: [String]
    /// The dpkg status file apt reads.
    var statusPath: String
    /// Environment for apt runs: with a dpkg root, `APT_CONFIG` naming a file that empties `Dir::Etc::Parts`, so the
    /// host's apt.conf.d hooks (`DPkg::Post-Invoke` …) never run for the sandbox.
    var environment: [String: String] = [:]
    /// The throw-away tree dpkg installs into (empty without one).
    var installRoot = ""

    static let canRun = ["/usr/bin/dpkg-deb", "/usr/bin/apt-get", "/usr/bin/apt-ftparchive", "/usr/lib/apt/apt-helper"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Builds both repositories and the status file, then runs `apt-get update` with the private options.
    static func make(main: [Package], security: [Package], installed: [(Package, status: String)]) async throws -> AptSandbox {
        let root = NSTemporaryDirectory() + "vigil-apt-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let setup = """
            mkdir -p etc/parts etc/prefparts lists/partial cache/archives/partial state
            printf 'deb [trusted=yes] file:%s/main ./\\ndeb [trusted=yes] file:%s/security ./\\n' "$PWD" "$PWD" > etc/sources.list

            """
        try await run(setup + repositories(main: main, security: security), in: root)
        let options = [
            "Dir::Etc::SourceList=\(root)/etc/sources.list", "Dir::Etc::SourceParts=\(root)/etc/parts",
            "Dir::Etc::Preferences=\(root)/etc/preferences", "Dir::Etc::PreferencesParts=\(root)/etc/prefparts",
            "Dir::State::Lists=\(root)/lists", "Dir::State::status=\(root)/state/status", "Dir::State::extended_states=\(root)/state/extended_states",
            "Dir::Cache=\(root)/cache", "APT::Sandbox::User=root",
        ].flatMap { ["-o", $0] }
        let sandbox = AptSandbox(root: root, aptOptions: options, statusPath: root + "/state/status")
        try sandbox.install(installed)
        try await sandbox.update()
        return sandbox
    }

    /// Repositories as `make`, and a throw-away dpkg root (`DPkg::Options::=--root`, its own status, admin directory and
    /// log) into which `installed` is really installed by `apt-get install`: upgrades then run dpkg for real, and the
    /// host's packages and dpkg database are never touched.
    static func makeInstallable(main: [Package], security: [Package], installed: [String]) async throws -> AptSandbox {
        let root = NSTemporaryDirectory() + "vigil-apt-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let setup = """
            mkdir -p etc/parts etc/prefparts etc/confparts lists/partial cache/archives/partial log fs/var/lib/dpkg/info fs/var/lib/dpkg/updates
            mkdir -p fs/var/lib/dpkg/triggers && touch fs/var/lib/dpkg/status fs/var/lib/dpkg/available
            printf 'deb [trusted=yes] file:%s/main ./\\ndeb [trusted=yes] file:%s/security ./\\n' "$PWD" "$PWD" > etc/sources.list
            printf 'Dir::Etc::Parts "%s/etc/confparts";\\n' "$PWD" > etc/apt.conf

            """
        try await run(setup + repositories(main: main, security: security), in: root)
        let status = root + "/fs/var/lib/dpkg/status"
        let options = [
            "Dir::Etc::SourceList=\(root)/etc/sources.list", "Dir::Etc::SourceParts=\(root)/etc/parts",
            "Dir::Etc::Preferences=\(root)/etc/preferences", "Dir::Etc::PreferencesParts=\(root)/etc/prefparts",
            "Dir::State::Lists=\(root)/lists", "Dir::State::status=\(status)", "Dir::State::extended_states=\(root)/extended_states",
            "Dir::Cache=\(root)/cache", "Dir::Log=\(root)/log", "APT::Sandbox::User=root", "DPkg::Options::=--root=\(root)/fs",
        ]
        var sandbox = AptSandbox(root: root, aptOptions: options.flatMap { ["-o", $0] }, statusPath: status)
        sandbox.environment = ["APT_CONFIG": root + "/etc/apt.conf"]
        sandbox.installRoot = root + "/fs"
        try await sandbox.update()
        if !installed.isEmpty { _ = try await sandbox.aptGet(["-y", "install"] + installed) }
        return sandbox
    }

    /// The options as `Name=value` items (what `responses.apt_options` holds).
    var optionItems: [String] { stride(from: 1, to: aptOptions.count, by: 2).map { aptOptions[$0] } }

    /// Replaces the security repository's packages (a new advisory, a withdrawn one) and runs `apt-get update`.
    func publishSecurity(_ packages: [Package]) async throws {
        try await Self.run(
            "rm -rf security build/security\n" + Self.repository("security", label: "Debian-Security", suite: "bookworm-security", packages), in: root
        )
        try await update()
    }

    /// Rewrites the private dpkg status file (what dpkg would after installing or removing).
    func install(_ installed: [(Package, status: String)]) throws {
        let text = installed.map { "Package: \($0.0.name)\nStatus: \($0.status)\n" + Self.control($0.0, named: false) + "\n" }.joined()
        try text.write(toFile: statusPath, atomically: true, encoding: .utf8)
    }

    var listsDirectory: String { root + "/lists" }

    func update() async throws {
        let update = try await aptGet(["update"])
        guard update.contains("Reading package lists") else { throw SandboxFailure("apt-get update: \(update)") }
    }

    /// Builds `main/` (label `Debian`) and `security/` (label `Debian-Security`, suite `bookworm-security`) under
    /// `directory`: `deb [trusted=yes] file:<directory>/main ./` and the same for `security` serve them.
    static func buildRepositories(in directory: String, main: [Package], security: [Package]) async throws {
        try await run(repositories(main: main, security: security), in: directory)
    }

    private static func repositories(main: [Package], security: [Package]) -> String {
        repository("main", label: "Debian", suite: "bookworm", main)
            + repository("security", label: "Debian-Security", suite: "bookworm-security", security)
    }

    /// The shell commands that build one repository with `dpkg-deb -b` and `apt-ftparchive`.
    private static func repository(_ name: String, label: String, suite: String, _ packages: [Package]) -> String {
        var script = "mkdir -p \(name)\n"
        for package in packages {
            let directory = "build/\(name)/\(package.name)_\(package.version)_\(package.architecture)"
            script += "mkdir -p '\(directory)/DEBIAN'\ncat > '\(directory)/DEBIAN/control' <<'CONTROL'\n\(control(package))CONTROL\n"
            if let file = package.file {
                script += "mkdir -p \"$(dirname '\(directory)/\(file.path)')\"\ncp '\(file.from)' '\(directory)/\(file.path)'\n"
            }
            if let preinst = package.preinst {
                script += "cat > '\(directory)/DEBIAN/preinst' <<'PREINST'\n\(preinst)\nPREINST\nchmod 0755 '\(directory)/DEBIAN/preinst'\n"
            }
            script += "dpkg-deb -Zgzip -b '\(directory)' \(name)/ >/dev/null\n"
        }
        return script + """
            (cd \(name) && apt-ftparchive packages . > Packages && apt-ftparchive -o APT::FTPArchive::Release::Label=\(label) \\
              -o APT::FTPArchive::Release::Suite=\(suite) -o APT::FTPArchive::Release::Codename=\(suite) release . > Release)

            """
    }

    private static func run(_ script: String, in directory: String) async throws {
        let built = await ProcessCommandRunner().run(
            ProgramInvocation("/bin/sh", ["-c", "set -e\ncd '\(directory)'\n" + script], timeout: .seconds(120)))
        guard built.succeeded else { throw SandboxFailure("building the repositories: \(built.failureReason)") }
    }

    private static func control(_ package: Package, named: Bool = true) -> String {
        (named ? "Package: \(package.name)\n" : "") + "Version: \(package.version)\nArchitecture: \(package.architecture)\n"
            + (package.source.map { "Source: \($0)\n" } ?? "") + package.fields
            + "Maintainer: Vigil Tests <tests@example.invalid>\nDescription: canary\n"
    }

    /// Runs `apt-get` with the private options; its standard output.
    func aptGet(_ arguments: [String]) async throws -> String {
        let output = await ProcessCommandRunner().run(
            ProgramInvocation("/usr/bin/apt-get", aptOptions + arguments, timeout: .seconds(120), environment: environment))
        guard output.succeeded else { throw SandboxFailure("apt-get \(arguments.joined(separator: " ")): \(output.failureReason)") }
        return String(decoding: output.standardOutput, as: UTF8.self)
    }

    /// The scanner configured like apt here.
    var scanner: SecurityUpdateScanner {
        SecurityUpdateScanner(runner: ProcessCommandRunner(), aptOptions: aptOptions, status: DpkgStatusReader(path: statusPath))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

struct SandboxFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// apt's simulation as the reference for "pending": `Inst name [installed] (candidate Label:Version/Suite [arch])`
/// lines whose candidate comes from a security archive, for packages already installed.
enum SimulatedUpgrade {
    static func securityInstalls(_ simulation: String) -> [String] {
        simulation.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.first == "Inst", words.count >= 4, words[2].hasPrefix("["), words[3].hasPrefix("(") else { return nil }
            guard let open = line.firstIndex(of: "("), line[open...].contains("Debian-Security:") || line[open...].contains("-security") else {
                return nil
            }
            return "\(words[1]) \(words[2].dropFirst().dropLast()) \(words[3].dropFirst())"
        }.sorted()
    }

    /// The same shape from a scan's non-held pending updates (apt keeps held ones back).
    static func lines(_ pending: [PendingUpdate]) -> [String] {
        pending.filter { !$0.held }.map { "\($0.package) \($0.installed) \($0.candidate)" }.sorted()
    }
}
