import ArgumentParser
import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent packages …`: the package checks as commands, for scripts as much as for the agent's own tests.
struct PackagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packages",
        abstract: "Debian package checks: version order as dpkg, pending security updates from apt's own lists (local; no hub needed).",
        subcommands: [CompareVersionsCommand.self, ScanPackagesCommand.self]
    )
}

/// `sentry-agent packages compare-versions`: lines `A B` on standard input, one of `<`, `=`, `>` per line out.
struct CompareVersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-versions",
        abstract: "Read lines \"A B\" on standard input and print <, = or > for each, in dpkg's order.",
        discussion: """
            A line with a version dpkg refuses prints ? (so output lines stay aligned with input lines), its reason goes \
            to standard error, and the exit status is 2, as dpkg --compare-versions exits on bad syntax.
            """
    )

    func run() throws {
        var output = ""
        var lineNumber = 0
        var refused = false
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            output += Self.answer(line) { reason in
                refused = true
                FileOutput.standardError.write("line \(lineNumber): \(reason)\n")
            }
            output += "\n"
            if output.utf8.count >= 1 << 16 {
                FileOutput.standardOutput.write(output)
                output = ""
            }
        }
        FileOutput.standardOutput.write(output)
        if refused { throw ExitCode(2) }
    }

    /// `<`, `=` or `>` for one input line; `?` after reporting why the line cannot be compared.
    static func answer(_ line: String, refuse: (String) -> Void) -> String {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count == 2 else {
            refuse("expected two versions separated by a space, got \(words.count) words")
            return "?"
        }
        do {
            let order = DebianVersion.compare(try DebianVersion(words[0]), try DebianVersion(words[1]))
            return order < 0 ? "<" : order == 0 ? "=" : ">"
        } catch {
            refuse(error.description)
            return "?"
        }
    }
}

/// `sentry-agent packages scan`: one JSON object per binary package with a pending security update.
struct ScanPackagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Print one JSON object per installed binary package a security archive has a newer version of.",
        discussion: """
            Keys: package, arch, installed, candidate, source, source_version, held. Security archives are those \
            unattended-upgrades picks (label Debian-Security, or a suite named *-security), read from apt's lists on \
            this host; nothing is downloaded (run apt-get update first). Lists older than 48 hours are reported on \
            standard error.
            """
    )

    @Option(name: .customShort("o"), help: ArgumentHelp("An apt option Name=value handed to apt-get (repeatable).", valueName: "option"))
    var aptOptions: [String] = []

    @Option(help: "dpkg's status database.")
    var status = "/var/lib/dpkg/status"

    func run() async throws {
        let scanner = SecurityUpdateScanner(
            runner: ProcessCommandRunner(), aptOptions: aptOptions.flatMap { ["-o", $0] }, status: DpkgStatusReader(path: status))
        let scan: SecurityScan
        do {
            scan = try await scanner.scan()
        } catch {
            FileOutput.standardError.write("cannot scan: \(error.description)\n")
            throw ExitCode.failure
        }
        if let stale = scan.staleness(now: Int64(time(nil))) { FileOutput.standardError.write("warning: \(stale)\n") }
        for refused in scan.refused { FileOutput.standardError.write("warning: skipped \(refused)\n") }
        FileOutput.standardOutput.write(try scan.pending.map { try $0.jsonLine + "\n" }.joined())
    }
}
