import Foundation
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("CVSSScore: v3.1 base scores from vectors")
struct CVSSScoreTests {
    @Test(
        "the specification's examples and the extremes",
        arguments: [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8), ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0), ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1), ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N/E:P/RL:O/RC:C", 5.9), ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
        ])
    func examples(vector: String, score: Double) throws {
        #expect(try CVSSScore(vector: vector).base == score)
    }

    @Test("severity bands: 0 none, below 4 low, below 7 medium, below 9 high, then critical")
    func severity() {
        #expect(
            [0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0].map { CVSSScore.Severity(score: $0) } == [
                .none, .low, .low, .medium, .medium, .high, .high, .critical, .critical,
            ])
    }

    @Test(
        "a bad vector is refused, saying what is wrong",
        arguments: [
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "starts with CVSS:3.1/"), ("CVSS:2.0/AV:N", "starts with CVSS:3.1/"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing base metric A"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", "AV appears twice"),
            ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV cannot be \"X\""),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "unknown metric"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "is not METRIC:VALUE"), ("", "starts with"), ("CVSS:3.1", "missing base metrics"),
        ])
    func refused(vector: String, reason: String) throws {
        let error = try #require(throws: CVSSScore.VectorError.self) { try CVSSScore(vector: vector) }
        #expect(error.description.contains(reason), "\(error)")
    }

    /// Random vectors (base metrics always, temporal and environmental ones sometimes) scored by us and by the `cvss`
    /// package from PyPI (Red Hat's reference implementation), which must agree on every one.
    @Test("agrees with the cvss package from PyPI on 3,000 random vectors")
    func oracle() async throws {
        guard await Self.run(["python3", "-c", "import cvss"]).status == 0 else {
            print("skipped: the cvss oracle is not installed (pip install --break-system-packages cvss, or apt install python3-cvss)")
            return
        }
        var generator = SeededGenerator(seed: 31)
        let base: [(String, [String])] = [
            ("AV", ["N", "A", "L", "P"]), ("AC", ["L", "H"]), ("PR", ["N", "L", "H"]), ("UI", ["N", "R"]), ("S", ["U", "C"]),
            ("C", ["H", "L", "N"]), ("I", ["H", "L", "N"]), ("A", ["H", "L", "N"]),
        ]
        let extra: [(String, [String])] = [("E", ["X", "U", "P", "F", "H"]), ("RL", ["X", "O", "T", "W", "U"]), ("RC", ["X", "U", "R", "C"])]
        var vectors: [String] = []
        for index in 0..<3_000 {
            var parts = [index % 5 == 0 ? "CVSS:3.0" : "CVSS:3.1"]
            for (metric, values) in base + (Bool.random(using: &generator) ? extra : []) {
                parts.append("\(metric):\(values.randomElement(using: &generator)!)")
            }
            vectors.append(parts.joined(separator: "/"))
        }
        let directory = try TemporaryDirectory("vigil-cvss")
        defer { directory.remove() }
        try Data(vectors.joined(separator: "\n").utf8).write(to: URL(filePath: directory.file("vectors")))
        let script = "import sys\nfrom cvss import CVSS3\nfor line in open(sys.argv[1]):\n    print(CVSS3(line.strip()).scores()[0])\n"
        let result = await Self.run(["python3", "-c", script, directory.file("vectors")])
        try #require(result.status == 0, "the oracle failed: \(result.output)")
        let oracle = result.output.split(separator: "\n").map { Double($0) }
        try #require(oracle.count == vectors.count)
        var disagreements: [String] = []
        for (vector, expected) in zip(vectors, oracle) {
            let ours = try CVSSScore(vector: vector).base
            if ours != expected { disagreements.append("\(vector): ours \(ours), cvss \(expected.map { "\($0)" } ?? "?")") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, e.g. \(disagreements.prefix(5))")
    }

    private static func run(_ arguments: [String]) async -> (status: Int32, output: String) {
        do {
            let run = try await ProgramRun.run(["/usr/bin/env"] + arguments, mergingErrors: true)
            return (run.status, run.output)
        } catch {
            return (-1, "\(error)")
        }
    }
}
