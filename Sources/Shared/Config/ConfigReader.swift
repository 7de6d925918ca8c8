import FoundationEssentials

/// Collects problems while a configuration is read.
public final class ProblemLog {
    public private(set) var problems: [ConfigProblem] = []
    /// Where each secret read so far came from, for `check-config`'s file-mode check.
    public private(set) var secrets: [SecretSource] = []

    public init() {}

    public func add(_ field: String, _ reason: String) {
        problems.append(ConfigProblem(field: field, reason: reason))
    }

    public func recordSecret(_ source: SecretSource) {
        secrets.append(source)
    }
}

/// Reads one YAML mapping into typed values with defaults, recording a problem (with the field's dotted path) for
/// every wrong type, bad value or unknown key instead of stopping at the first.
///
/// Unknown keys are errors on purpose: a misspelt `never_blok` in a security tool must not silently fall back to a default.
public struct ConfigReader {
    public let path: String
    private let mapping: [String: YAMLNode]
    private let log: ProblemLog
    private let consumed: Consumed

    private final class Consumed { var keys: Set<String> = [] }

    public init(node: YAMLNode?, path: String, log: ProblemLog) {
        self.path = path
        self.log = log
        self.consumed = Consumed()
        var mapping: [String: YAMLNode] = [:]
        switch node?.kind {
        case .mapping(let pairs)?:
            for pair in pairs {
                guard let name = pair.key.scalar?.text else {
                    log.add(path.isEmpty ? "(top level)" : path, "keys must be strings")
                    continue
                }
                mapping[name] = pair.value
            }
        case nil:
            break
        case .scalar(let scalar)? where scalar.text.isEmpty || scalar.isNull:
            break
        default:
            log.add(path.isEmpty ? "(top level)" : path, "expected a mapping")
        }
        self.mapping = mapping
    }

    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func problem(_ key: String, _ reason: String) { log.add(field(key), reason) }

    private func value(_ key: String) -> YAMLNode? {
        consumed.keys.insert(key)
        guard let node = mapping[key] else { return nil }
        if let scalar = node.scalar, scalar.isNull { return nil }
        return node
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public func string(_ key: String) -> String? {
        guard let node = value(key) else { return nil }
        guard let scalar = node.scalar else {
            problem(key, "expected a string")
            return nil
        }
        return scalar.text
    }

    public func string(_ key: String, default fallback: String) -> String { string(key) ?? fallback }

    public func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let node = value(key) else { return fallback }
        guard let number = node.scalar?.int else {
            problem(key, "expected a whole number")
            return fallback
        }
        guard range.contains(number) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return number
    }

    public func int64(_ key: String) -> Int64? {
        guard let node = value(key) else { return nil }
        guard let text = node.scalar?.text, let number = Int64(text) else {
            problem(key, "expected a whole number")
            return nil
        }
        return number
    }

    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = value(key) else { return fallback }
        guard let flag = node.scalar?.bool else {
            problem(key, "expected true or false")
            return fallback
        }
        return flag
    }

    /// A duration written `90s`, `5m`, `1h30m`, `7d`; a bare number is refused with the unit it needs.
    public func duration(_ key: String, default fallback: Duration, in range: ClosedRange<Duration>? = nil) -> Duration {
        guard let node = value(key) else { return fallback }
        guard let text = node.scalar?.text, let parsed = DurationText.parse(text) else {
            problem(key, DurationText.problem(in: node.scalar?.text ?? ""))
            return fallback
        }
        if let range, !range.contains(parsed) {
            problem(key, "must be between \(DurationText.format(range.lowerBound)) and \(DurationText.format(range.upperBound))")
            return fallback
        }
        return parsed
    }

    public func stringList(_ key: String) -> [String] {
        guard let node = value(key) else { return [] }
        guard case .sequence(let items) = node.kind else {
            problem(key, "expected a list")
            return []
        }
        return items.enumerated().compactMap { index, item in
            guard let scalar = item.scalar else {
                log.add("\(field(key))[\(index)]", "expected a string")
                return nil
            }
            return scalar.text
        }
    }

    public func section(_ key: String) -> ConfigReader {
        ConfigReader(node: value(key), path: field(key), log: log)
    }

    public func list(_ key: String) -> [ConfigReader] {
        guard let node = value(key) else { return [] }
        guard case .sequence(let items) = node.kind else {
            problem(key, "expected a list")
            return []
        }
        return items.enumerated().map { ConfigReader(node: $1, path: "\(field(key))[\($0)]", log: log) }
    }

    /// A secret given inline, as `{env: NAME}`, or as `{file: /path}` (first line, trimmed).
    public func secret(_ key: String, environment: [String: String]) -> String? {
        guard let node = value(key) else { return nil }
        if let scalar = node.scalar {
            log.recordSecret(SecretSource(field: field(key), file: nil))
            return scalar.text
        }
        let source = ConfigReader(node: node, path: field(key), log: log)
        defer { source.rejectUnknownKeys() }
        if let name = source.string("env") {
            guard let secret = environment[name], !secret.isEmpty else {
                problem(key, "environment variable \(name) is not set")
                return nil
            }
            return secret
        }
        if let file = source.string("file") {
            log.recordSecret(SecretSource(field: field(key), file: file))
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                problem(key, "cannot read \(file)")
                return nil
            }
            return contents.trimmingWhitespace()
        }
        problem(key, "expected a value, {env: NAME} or {file: PATH}")
        return nil
    }

    /// Records every key of this mapping that no reader asked for, suggesting the known key it was probably meant to be.
    public func rejectUnknownKeys() {
        for key in mapping.keys.sorted() where !consumed.keys.contains(key) {
            if key == "<<" {
                // libyaml reads YAML 1.1's merge key as an ordinary key; saying so beats "unknown field `<<`".
                problem(key, "merge keys (`<<: *anchor`) are not supported; write the keys out (a whole value may be an alias, `*anchor`)")
            } else if key.isEmpty {
                // `"": 1` (or a `?` with no key) names no field; the problem is named by the quoted empty key.
                problem("\"\"", "an empty key is not a field")
            } else if let suggestion = KeySuggestion.closest(to: key, among: consumed.keys) {
                problem(key, "unknown field `\(key)` (did you mean `\(suggestion)`?)")
            } else {
                problem(key, "unknown field `\(key)`")
            }
        }
    }
}

/// Finds the known key a misspelt one was meant to be.
enum KeySuggestion {
    /// The known key closest to `key` within two edits (insertions, deletions, substitutions), or nil.
    static func closest(to key: String, among known: Set<String>) -> String? {
        let candidates = known.map { (key: $0, distance: distance(key, $0)) }.filter { $0.distance <= 2 }
        return candidates.min { ($0.distance, $0.key) < ($1.distance, $1.key) }?.key
    }

    /// Levenshtein distance between `a` and `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
