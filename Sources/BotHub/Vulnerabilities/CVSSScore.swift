import Foundation

/// A CVSS v3 base score computed from a vector string, by the formulas and the `Roundup` of the CVSS v3.1 specification
/// (FIRST, §7.1 and Appendix A); a `CVSS:3.0/` vector is scored with v3.0's rounding (a plain ceiling to one decimal).
struct CVSSScore: Sendable, Equatable {
    /// Why a vector is refused, naming the part at fault.
    struct VectorError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// The qualitative rating of a score (specification §5).
    enum Severity: String, Sendable, Comparable {
        case none, low, medium, high, critical

        init(score: Double) {
            switch score {
            case ..<0.1: self = .none
            case ..<4.0: self = .low
            case ..<7.0: self = .medium
            case ..<9.0: self = .high
            default: self = .critical
            }
        }

        private var rank: Int {
            switch self {
            case .none: 0
            case .low: 1
            case .medium: 2
            case .high: 3
            case .critical: 4
            }
        }

        static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// The base score, 0.0 to 10.0 in steps of 0.1.
    let base: Double
    var severity: Severity { Severity(score: base) }

    /// The base metrics and their weights; every one must appear exactly once.
    private static let baseWeights: [String: [String: Double]] = [
        "AV": ["N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2],
        "AC": ["L": 0.77, "H": 0.44],
        "PR": ["N": 0.85, "L": 0.62, "H": 0.27],
        "UI": ["N": 0.85, "R": 0.62],
        "S": ["U": 0, "C": 0],
        "C": ["H": 0.56, "L": 0.22, "N": 0],
        "I": ["H": 0.56, "L": 0.22, "N": 0],
        "A": ["H": 0.56, "L": 0.22, "N": 0],
    ]

    /// Temporal and environmental metrics: allowed (at most once, with a legal value) but not part of the base score.
    private static let otherMetrics: [String: Set<String>] = [
        "E": ["X", "U", "P", "F", "H"], "RL": ["X", "O", "T", "W", "U"], "RC": ["X", "U", "R", "C"],
        "CR": ["X", "L", "M", "H"], "IR": ["X", "L", "M", "H"], "AR": ["X", "L", "M", "H"],
        "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MPR": ["X", "N", "L", "H"], "MUI": ["X", "N", "R"],
        "MS": ["X", "U", "C"], "MC": ["X", "N", "L", "H"], "MI": ["X", "N", "L", "H"], "MA": ["X", "N", "L", "H"],
    ]

    /// Parses and scores `vector`, e.g. `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` (9.8).
    init(vector: String) throws(VectorError) {
        var parts = vector.split(separator: "/", omittingEmptySubsequences: false)
        guard let prefix = parts.first, prefix == "CVSS:3.1" || prefix == "CVSS:3.0" else {
            throw VectorError(description: "\(Self.quoted(vector)): a CVSS v3 vector starts with CVSS:3.1/ or CVSS:3.0/")
        }
        let version31 = prefix == "CVSS:3.1"
        parts.removeFirst()
        var values: [String: String] = [:]
        for part in parts {
            let pair = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw VectorError(description: "\(Self.quoted(vector)): \(Self.quoted(part)) is not METRIC:VALUE") }
            let metric = String(pair[0])
            let value = String(pair[1])
            guard let legal = Self.baseWeights[metric].map({ Set($0.keys) }) ?? Self.otherMetrics[metric] else {
                throw VectorError(description: "\(Self.quoted(vector)): unknown metric \(Self.quoted(metric))")
            }
            guard legal.contains(value) else {
                throw VectorError(
                    description:
                        "\(Self.quoted(vector)): \(metric) cannot be \(Self.quoted(value)) (expected one of \(legal.sorted().joined(separator: ", ")))"
                )
            }
            guard values.updateValue(value, forKey: metric) == nil else {
                throw VectorError(description: "\(Self.quoted(vector)): \(metric) appears twice")
            }
        }
        let missing = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"].filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw VectorError(
                description: "\(Self.quoted(vector)): missing base metric\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
        }
        func weight(_ metric: String) -> Double { values[metric].flatMap { Self.baseWeights[metric]?[$0] } ?? 0 }

        let changed = values["S"] == "C"
        var privileges = weight("PR")
        if changed, let level = values["PR"] { privileges = level == "L" ? 0.68 : level == "H" ? 0.5 : privileges }
        let iss = 1 - (1 - weight("C")) * (1 - weight("I")) * (1 - weight("A"))
        let impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss
        let exploitability = 8.22 * weight("AV") * weight("AC") * privileges * weight("UI")
        let roundUp = version31 ? Self.roundUp31 : Self.roundUp30
        if impact <= 0 {
            base = 0
        } else if changed {
            base = roundUp(min(1.08 * (impact + exploitability), 10))
        } else {
            base = roundUp(min(impact + exploitability, 10))
        }
    }

    /// v3.1's `Roundup`: the smallest one-decimal number ≥ the input, computed on integers so that 4.000000000000001
    /// (floating-point noise) is 4.0, not 4.1.
    static func roundUp31(_ value: Double) -> Double {
        let integer = Int((value * 100_000).rounded())
        if integer % 10_000 == 0 { return Double(integer) / 100_000 }
        return (Double(integer / 10_000) + 1) / 10
    }

    /// v3.0's round up: a plain ceiling to one decimal.
    static func roundUp30(_ value: Double) -> Double {
        (value * 10).rounded(.up) / 10
    }

    private static func quoted(_ text: some StringProtocol) -> String { "\"\(text)\"" }
}
