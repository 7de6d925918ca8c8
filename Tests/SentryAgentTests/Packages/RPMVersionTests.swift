import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("RPMVersion: rpm's parse and order")
struct RPMVersionTests {
    private func version(_ text: String) throws -> RPMVersion { try RPMVersion(text) }

    @Test(
        "the order of rpmvercmp: ~ below the end, ^ above the end but below anything else, digits numeric and above letters, epoch first",
        arguments: [
            ("1.0~rc1", "1.0"), ("1.0~~", "1.0~"), ("1.0~rc1", "1.0~rc2"), ("1.0", "1.0^git1"), ("1.0^git1", "1.0.1"), ("1.0^", "1.0a"),
            ("1.0^git1", "1.0^git2"), ("1.9", "1.10"), ("1.a", "1.1"), ("1.0a", "1.0.1"), ("1.0", "1.0a"), ("a", "b"), ("B", "a"),
            ("2.0", "1:0.1"), ("1:2.0", "2:1.0"), ("1.0-1", "1.0-2"), ("1.0-1.el9", "1.0-1.el9_2"), ("1.0-1.el9_2", "1.0-1.el9_10"),
            ("1.0", "1.0-1"), ("3.0.7-27.el9", "1:3.0.7-24.el9"), ("5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3"), ("1.0~rc1^git2", "1.0"),
        ])
    func ordered(lower: String, higher: String) throws {
        #expect(try version(lower) < version(higher))
        #expect(try version(higher) > version(lower))
        #expect(RPMVersion.compare(try version(lower), try version(higher)) == -1)
    }

    @Test(
        "versions spelt differently are equal when rpm says so: leading zeros, separators alone, an empty or zero epoch",
        arguments: [
            ("1.0", "1.00"), ("1.0", "1_0"), ("1.0", "1.0."), ("1..0", "1.0"), ("0:1.0", "1.0"), (":1.0", "1.0"), ("00:1.0", "1.0"), ("1+2", "1.2"),
        ])
    func equal(a: String, b: String) throws {
        #expect(try version(a) == version(b))
        #expect(RPMVersion.compare(try version(a), try version(b)) == 0)
    }

    @Test("parts: the epoch is leading digits before a colon, the release follows the last hyphen")
    func parts() throws {
        let parsed = try version("2:1.0-rc-1:x-3.el9")
        #expect(parsed.epoch.map { String(decoding: $0, as: UTF8.self) } == "2")
        #expect(String(decoding: parsed.version, as: UTF8.self) == "1.0-rc-1:x")
        #expect(parsed.release.map { String(decoding: $0, as: UTF8.self) } == "3.el9")
        #expect(try version("a:1").epoch == nil, "letters before the colon are no epoch: the whole is the version")
        #expect(try version("1.0").release == nil)
        #expect(try version("1.0-").release == [], "a trailing hyphen gives an empty release, which is present")
        #expect(try version(":1").epoch == Array("0".utf8))
    }

    @Test("only an empty string or one with a NUL byte is refused", arguments: ["", "1.0\u{0}1"])
    func refused(text: String) {
        #expect(throws: RPMVersion.ParseError.self) { try RPMVersion(text) }
    }
}

/// Version order checked against rpm itself (`python3-rpm`'s `rpm.ver`, which compares with librpm's `rpmverCmp`) on a
/// generated corpus and this machine's own versions with RPM-style mutations.
@Suite("RPMVersion against librpm", .serialized, .system)
struct RPMVersionOracleTests {
    static let python = "/usr/bin/python3"
    static let hasRPM =
        FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/rpm/__init__.py")
        && FileManager.default.isExecutableFile(atPath: python)

    /// librpm's answer (-1, 0, 1) for each `a<TAB>b` line.
    static func oracle(_ pairs: [(String, String)]) async throws -> [String] {
        let script = """
            import sys, rpm
            out = []
            for line in sys.stdin.buffer.read().decode().split("\\n"):
                if not line: continue
                a, b = line.split("\\t")
                x, y = rpm.ver(a), rpm.ver(b)
                out.append("-1" if x < y else ("0" if x == y else "1"))
            print("\\n".join(out))
            """
        let input = pairs.map { "\($0.0)\t\($0.1)" }.joined(separator: "\n") + "\n"
        let output = await ProcessCommandRunner().run(
            ProgramInvocation(python, ["-c", script], standardInput: Array(input.utf8), timeout: .seconds(600)))
        guard output.succeeded else { throw SandboxFailure("python3 rpm oracle: \(output.failureReason)") }
        return String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Random versions from the pieces rpmvercmp treats specially: digit runs with leading zeros, letters of both
    /// cases, separators, `~`, `^`, hyphens and colons in any place.
    static func generated(count: Int, seed: UInt64) -> [String] {
        let pieces = [
            "0", "1", "2", "9", "10", "00", "007", "123456789012345678901234567890", "a", "b", "Z", "rc", "el", "git", "fc", ".", ".", "-",
            "~", "^", "_", "+", ":", "%",
        ]
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 1...7, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }
    }

    /// This machine's installed package versions (Debian's, which are EVR-shaped) and RPM-style mutations of them.
    static func machineVersions() async -> [String] {
        let installed = await ProcessCommandRunner().run(ProgramInvocation("/usr/bin/dpkg-query", ["-W", "-f", "${Version}\\n"]))
        let versions = Set(String(decoding: installed.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)).sorted()
        return versions.flatMap { text in
            [text, text + "~rc1", text + "^git20250101", text + ".el9_4", "1:" + text, text.replacing("-", with: "-0.")]
        }
    }

    @Test(
        "200,000 random pairs of generated and real versions get librpm's three-way answer", .enabled(if: hasRPM, "needs python3-rpm"),
        .timeLimit(.minutes(10)))
    func randomPairsAgreeWithRPM() async throws {
        let corpus = Self.generated(count: 20_000, seed: 0x4E5) + (await Self.machineVersions())
        let parsed = try corpus.map { try RPMVersion($0) }
        var generator = SeededGenerator(seed: 0x12B)
        let indices = (0..<200_000).map { _ in
            (Int.random(in: 0..<corpus.count, using: &generator), Int.random(in: 0..<corpus.count, using: &generator))
        }
        let answers = try await Self.oracle(indices.map { (corpus[$0.0], corpus[$0.1]) })
        let ours = indices.map { String(RPMVersion.compare(parsed[$0.0], parsed[$0.1])) }
        #expect(corpus.count > 20_000)
        #expect(answers.count == ours.count)
        let disagreements = zip(indices, zip(answers, ours)).filter { $1.0 != $1.1 }.prefix(5).map { pair, answer in
            "\(corpus[pair.0]) vs \(corpus[pair.1]): rpm \(answer.0), ours \(answer.1)"
        }
        #expect(disagreements == [])
    }

    @Test(
        "pairs that differ only after a shared prefix, and each version against itself with ~, ^ and separators appended",
        .enabled(if: hasRPM, "needs python3-rpm"), .timeLimit(.minutes(10)))
    func nearPairsAgreeWithRPM() async throws {
        let stems = Self.generated(count: 3_000, seed: 0x7E1)
        let tails = Self.generated(count: 3_000, seed: 0x7E2)
        var pairs: [(String, String)] = []
        for (index, stem) in stems.enumerated() {
            let tail = tails[index]
            let other = tails[(index * 7 + 1) % tails.count]
            pairs += [(stem + tail, stem + other), (stem, stem + tail), (stem + "~", stem), (stem + "^", stem), (stem + ".", stem), (stem, stem)]
        }
        let answers = try await Self.oracle(pairs)
        let ours = try pairs.map { String(RPMVersion.compare(try RPMVersion($0.0), try RPMVersion($0.1))) }
        #expect(answers.count == ours.count)
        let disagreements = zip(pairs, zip(answers, ours)).filter { $1.0 != $1.1 }.prefix(5).map { pair, answer in
            "\(pair.0) vs \(pair.1): rpm \(answer.0), ours \(answer.1)"
        }
        #expect(disagreements == [])
    }
}
