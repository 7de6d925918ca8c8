import Foundation

/// Two local `file:` repositories built with `dpkg-deb -b` and `apt-ftparchive` (one labelled `Debian-Security`,
/// suite `bookworm-security`), a private dpkg status file, and apt options that point apt at them only: the host's
/// sources, lists, cache and status are never read or written. Shared by the agent's upgrade tests and the hub's
/// fleet-upgrade test with real agents.
public struct AptSandbox: Sendable {
    /// A binary package as the repositories and the status file describe it.
    public struct Package: Sendable {
        public var name: String
        public var version: String
        public var architecture = "amd64"
        /// `name` or `name (version)`.
        public var source: String?
        /// More control fields (`Conflicts: x`), each line ending in a newline.
        public var fields = ""
        /// A file shipped by the package: `(path inside the package, file copied there)`.
        public var file: (path: String, from: String)?
        /// A `preinst` maintainer script (a slow upgrade: `sleep 5`).
        public var preinst: String?

        public init(
            name: String, version: String, architecture: String = "amd64", source: String? = nil, fields: String = "",
            file: (path: String, from: String)? = nil, preinst: String? = nil
        ) {
            self.name = name
            self.version = version
            self.architecture = architecture
            self.source = source
            self.fields = fields
            self.file = file
            self.preinst = preinst
        }
    }

    public let root: String
    /// `-o Name=value` pairs for `apt-get` and the scanner.
    public let aptOptions: [String]
    /// The dpkg status file apt reads.
    public var statusPath: String
    /// Environment for apt runs: with a dpkg root, `APT_CONFIG` naming a file that empties `Dir::Etc::Parts`, so the
    /// host's apt.conf.d hooks (`DPkg::Post-Invoke` …) never run for the sandbox.
    public var environment: [String: String] = [:]
    /// The throw-away tree dpkg installs into (empty without one).
    public var installRoot = ""

    init(root: String, aptOptions: [String], statusPath: String) {
        self.root = root
        self.aptOptions = aptOptions
        self.statusPath = statusPath
    }

    public static let canRun = ["/usr/bin/dpkg-deb", "/usr/bin/apt-get", "/usr/bin/apt-ftparchive", "/usr/lib/apt/apt-helper"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Builds both repositories and the status file, then runs `apt-get update` with the private options.
    public static func make(main: [Package], security: [Package], installed: [(Package, status: String)]) async throws -> AptSandbox {
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
    public static func makeInstallable(main: [Package], security: [Package], installed: [String]) async throws -> AptSandbox {
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
    public var optionItems: [String] { stride(from: 1, to: aptOptions.count, by: 2).map { aptOptions[$0] } }

    /// Replaces the security repository's packages (a new advisory, a withdrawn one) and runs `apt-get update`.
    public func publishSecurity(_ packages: [Package]) async throws {
        try await Self.run(
            "rm -rf security build/security\n" + Self.repository("security", label: "Debian-Security", suite: "bookworm-security", packages), in: root
        )
        try await update()
    }

    /// Rewrites the private dpkg status file (what dpkg would after installing or removing).
    public func install(_ installed: [(Package, status: String)]) throws {
        let text = installed.map { "Package: \($0.0.name)\nStatus: \($0.status)\n" + Self.control($0.0, named: false) + "\n" }.joined()
        try text.write(toFile: statusPath, atomically: true, encoding: .utf8)
    }

    public var listsDirectory: String { root + "/lists" }

    public func update() async throws {
        let update = try await aptGet(["update"])
        guard update.contains("Reading package lists") else { throw SandboxFailure("apt-get update: \(update)") }
    }

    /// Builds `main/` (label `Debian`) and `security/` (label `Debian-Security`, suite `bookworm-security`) under
    /// `directory`: `deb [trusted=yes] file:<directory>/main ./` and the same for `security` serve them.
    public static func buildRepositories(in directory: String, main: [Package], security: [Package]) async throws {
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
        let built = try await runProgram(["/bin/sh", "-c", "set -e\ncd '\(directory)'\n" + script], environment: [:])
        guard built.status == 0 else { throw SandboxFailure("building the repositories: exit \(built.status): \(built.error)") }
    }

    /// Runs `argv` to its end with `environment` added to a fixed PATH and `LC_ALL=C`; its exit status and output.
    private static func runProgram(_ argv: [String], environment: [String: String]) async throws -> (status: Int32, output: String, error: String) {
        let run = try await ProgramRun.run(
            argv, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"].merging(environment) { $1 })
        return (run.status, run.output, run.errors)
    }

    private static func control(_ package: Package, named: Bool = true) -> String {
        (named ? "Package: \(package.name)\n" : "") + "Version: \(package.version)\nArchitecture: \(package.architecture)\n"
            + (package.source.map { "Source: \($0)\n" } ?? "") + package.fields
            + "Maintainer: Vigil Tests <tests@example.invalid>\nDescription: canary\n"
    }

    /// Runs `apt-get` with the private options; its standard output.
    public func aptGet(_ arguments: [String]) async throws -> String {
        let output = try await Self.runProgram(["/usr/bin/apt-get"] + aptOptions + arguments, environment: environment)
        guard output.status == 0 else {
            throw SandboxFailure("apt-get \(arguments.joined(separator: " ")): exit \(output.status): \(output.error)")
        }
        return output.output
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

public struct SandboxFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
