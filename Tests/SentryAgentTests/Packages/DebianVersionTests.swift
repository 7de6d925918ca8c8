import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("DebianVersion: dpkg's parse and order")
struct DebianVersionTests {
    private func version(_ text: String) throws -> DebianVersion { try DebianVersion(text) }

    @Test(
        "the order of dpkg's rules: ~ below the end, letters below symbols, digit runs numeric, epoch first",
        arguments: [
            ("1.0~rc1", "1.0"), ("1.0~~", "1.0~"), ("1.0~", "1.0"), ("1.0", "1.0a"), ("1.0a", "1.0+"), ("1.0a", "1.0."),
            ("1.9", "1.10"), ("1.0-1", "1.0-1+b1"), ("1.0-1+deb12u1", "1.0-1+deb12u2"), ("1.0-1+deb12u9", "1.0-1+deb12u10"),
            ("9.9", "1:0.1"), ("1:2.0", "2:1.0"), ("1.0-1", "1.0-1.1"), ("1.0-1~bpo1", "1.0-1"), ("2.30-1", "2.30a-1"),
            ("1.2.3", "1.2.3.0.1"), ("1.0-9", "1.0.1-1"), ("7.88.1-10+deb12u8", "7.88.1-10+deb12u12"), ("1.0-a", "1.0-+"),
        ])
    func ordered(lower: String, higher: String) throws {
        #expect(try version(lower) < version(higher))
        #expect(try version(higher) > version(lower))
    }

    @Test("versions spelt differently are equal when dpkg says so", arguments: [("1.0", "1.00"), ("0:1.0", "1.0"), ("1.0-0", "1.0"), ("01", "1")])
    func equal(a: String, b: String) throws {
        #expect(try version(a) == version(b))
        #expect(try DebianVersion.compare(version(a), version(b)) == 0)
    }

    @Test("parts: epoch up to the first colon, revision after the last hyphen, blanks around trimmed")
    func parts() throws {
        let parsed = try version(" \t2:1.0-rc-1:x-3+b1 ")
        #expect(parsed.epoch == 2)
        #expect(String(decoding: parsed.upstream, as: UTF8.self) == "1.0-rc-1:x")
        #expect(String(decoding: parsed.revision, as: UTF8.self) == "3+b1")
        #expect(parsed.description == "2:1.0-rc-1:x-3+b1")
        #expect(try version("+1:1.0").epoch == 1)
        #expect(try version("-0:1.0").epoch == 0)
        #expect(try version("2147483647:1").epoch == Int32.max)
    }

    @Test(
        "what dpkg refuses is refused with dpkg's reason",
        arguments: [
            ("", "version string is empty"), ("  ", "version string is empty"), ("1.0 1", "version string has embedded spaces"),
            (":1.0", "epoch in version is empty"), ("x:1.0", "epoch in version is empty"), ("+:1", "epoch in version is empty"),
            ("1x:1.0", "epoch in version is not number"), ("1.0:1", "epoch in version is not number"),
            ("-1:1.0", "epoch in version is negative"), ("2147483648:1", "epoch in version is too big"),
            ("99999999999999999999999:1", "epoch in version is too big"), ("1:", "nothing after colon in version number"),
            ("1.0-", "revision number is empty"), ("-1", "version number is empty"), ("1:-1", "version number is empty"),
        ])
    func refused(text: String, reason: String) {
        #expect(throws: DebianVersion.ParseError.self) { try DebianVersion(text) }
        do {
            _ = try DebianVersion(text)
        } catch {
            #expect(error.description == reason)
        }
    }

    @Test("what dpkg only warns about is accepted, as dpkg compares it", arguments: ["a1.0", "1.0_a", "1.0-a_b", "1.0!a"])
    func warnedButAccepted(text: String) throws {
        _ = try version(text)
    }
}

/// Version order checked against dpkg itself on the machine's own versions and their mutations.
@Suite("DebianVersion against dpkg --compare-versions", .serialized, .system)
struct DebianVersionOracleTests {
    static let hasDpkg = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg")
    static let hasPerlDpkg = FileManager.default.fileExists(atPath: "/usr/share/perl5/Dpkg/Version.pm")

    private static let runner = ProcessCommandRunner()

    /// Runs a shell script (the oracle's loop) with `input` on standard input; its output lines.
    private static func shell(_ script: String, input: [String]) async throws -> [String] {
        let output = await runner.run(
            ProgramInvocation("/bin/sh", ["-c", script], standardInput: Array((input.joined(separator: "\n") + "\n").utf8), timeout: .seconds(600)))
        guard output.succeeded else { throw OracleFailure(output.failureReason) }
        return String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    struct OracleFailure: Error { let reason: String; init(_ reason: String) { self.reason = reason } }

    /// Every `Version:` of the installed packages and of the first `limit` stanzas of each apt Packages index on this
    /// machine, distinct.
    static func machineVersions(indexStanzas limit: Int) async throws -> [String] {
        var versions = Set<String>()
        let installed = await runner.run(ProgramInvocation("/usr/bin/dpkg-query", ["-W", "-f", "${Version}\\n"]))
        for line in String(decoding: installed.standardOutput, as: UTF8.self).split(separator: "\n") { versions.insert(String(line)) }
        let targets = await runner.run(
            ProgramInvocation("/usr/bin/apt-get", ["indextargets", "--format", "$(FILENAME)", "Created-By: Packages"]))
        for file in String(decoding: targets.standardOutput, as: UTF8.self).split(separator: "\n") {
            let text = await runner.run(ProgramInvocation("/usr/lib/apt/apt-helper", ["cat-file", String(file)], timeout: .seconds(60)))
            let lines = String(decoding: text.standardOutput, as: UTF8.self).split(separator: "\n")
            for line in lines.lazy.filter({ $0.hasPrefix("Version: ") }).prefix(limit) { versions.insert(String(line.dropFirst(9))) }
        }
        return versions.sorted()
    }

    /// Each version with the mutations that matter to security updates: a pre-release, a binNMU, a point update,
    /// an epoch.
    static func mutated(_ versions: [String], every stride: Int) -> [String] {
        var corpus = versions
        for (index, text) in versions.enumerated() where index % stride == 0 {
            corpus += [text + "~rc1", text + "+b1", text + "+deb12u1", "1:" + text, text + "~", text + ".0"]
            if !text.contains("-") { corpus.append(text + "-1") }
        }
        return corpus
    }

    @Test(
        "sorted by DebianVersion, every neighbour is in dpkg's order too (the whole corpus's order agrees)",
        .enabled(if: hasDpkg, "needs dpkg"), .timeLimit(.minutes(10)))
    func sortedCorpusAgreesWithDpkg() async throws {
        let corpus = Self.mutated(try await Self.machineVersions(indexStanzas: 150), every: 4)
        let sorted = try corpus.map { try DebianVersion($0) }.sorted()
        // Both are total orders, so agreeing on every adjacent pair (strictly less or equal) means agreeing on all pairs.
        let pairs = zip(sorted, sorted.dropFirst()).map { lower, higher in
            "\(lower) \(DebianVersion.compare(lower, higher) == 0 ? "eq" : "lt") \(higher)"
        }
        let verdicts = try await Self.shell(
            #"while read -r a op b; do if dpkg --compare-versions "$a" "$op" "$b"; then echo y; else echo "n $a $op $b"; fi; done"#, input: pairs)
        #expect(verdicts.count == pairs.count)
        #expect(Array(verdicts.filter { $0 != "y" }.prefix(10)) == [])
        #expect(pairs.count > 1000)
    }

    @Test("random pairs of the corpus get dpkg's three-way answer", .enabled(if: hasDpkg, "needs dpkg"), .timeLimit(.minutes(10)))
    func randomPairsAgreeWithDpkg() async throws {
        let corpus = Self.mutated(try await Self.machineVersions(indexStanzas: 50), every: 3)
        var generator = SeededGenerator(seed: 0xDEB)
        let pairs = (0..<300).map { _ in (corpus.randomElement(using: &generator)!, corpus.randomElement(using: &generator)!) }
        let answers = try await Self.shell(
            #"while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo "<"; elif dpkg --compare-versions "$a" eq "$b"; then echo "="; else echo ">"; fi; done"#,
            input: pairs.map { "\($0.0) \($0.1)" })
        let ours = try pairs.map { pair in
            let order = DebianVersion.compare(try DebianVersion(pair.0), try DebianVersion(pair.1))
            return order < 0 ? "<" : order == 0 ? "=" : ">"
        }
        #expect(answers == ours)
    }

    @Test("what dpkg refuses, dpkg --compare-versions refuses too (exit 2)", .enabled(if: hasDpkg, "needs dpkg"))
    func refusalsMatchDpkg() async throws {
        let refused = [":1.0", "x:1.0", "1x:1.0", "1.0:1", "2147483648:1", "1:", "1.0-", "1:-1", "-0:"]
        let statuses = try await Self.shell(#"while read -r a; do dpkg --compare-versions "$a" lt 1 2>/dev/null; echo $?; done"#, input: refused)
        #expect(statuses == refused.map { _ in "2" })
        for text in refused { #expect(throws: DebianVersion.ParseError.self) { try DebianVersion(text) } }
        let warned = ["a1.0", "1.0_a", "+1:1.0"]
        let warnedStatuses = try await Self.shell(#"while read -r a; do dpkg --compare-versions "$a" lt 1 2>/dev/null; echo $?; done"#, input: warned)
        #expect(!warnedStatuses.contains("2"))
        for text in warned { _ = try DebianVersion(text) }
    }

    @Test(
        "every version of this machine's apt lists, 200,000 random pairs: the same answer as dpkg's Perl Dpkg::Version",
        .enabled(if: hasPerlDpkg, "needs libdpkg-perl"), .timeLimit(.minutes(10)))
    func bulkAgreesWithDpkgPerl() async throws {
        let corpus = Self.mutated(try await Self.machineVersions(indexStanzas: .max), every: 7)
        var generator = SeededGenerator(seed: 0x5EC)
        let parsed = try corpus.map { try DebianVersion($0) }
        let indices = (0..<200_000).map { _ in
            (Int.random(in: 0..<corpus.count, using: &generator), Int.random(in: 0..<corpus.count, using: &generator))
        }
        let answers = try await Self.shell(
            #"perl -MDpkg::Version=version_compare -ne 'chomp; my ($a, $b) = split / /; print version_compare($a, $b), "\n"'"#,
            input: indices.map { "\(corpus[$0.0]) \(corpus[$0.1])" })
        let ours = indices.map { String(DebianVersion.compare(parsed[$0.0], parsed[$0.1]).signum()) }
        #expect(corpus.count > 10_000)
        #expect(answers.count == ours.count)
        #expect(zip(answers, ours).filter { $0 != $1 }.prefix(5).map { "\($0) vs \($1)" } == [])
    }
}
