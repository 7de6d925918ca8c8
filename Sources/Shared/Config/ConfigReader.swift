import Foundation
import Yams

/// Collects problems while a configuration is read.
final class ProblemLog {
    private(set) var problems: [ConfigProblem] = []
    /// Where each secret read so far came from, for `check-config`'s file-mode check.
    private(set) var secrets: [SecretSource] = []

    func add(_ field: String, _ reason: String) {
        problems.append(ConfigProblem(field: field, reason: reason))
    }

    func recordSecret(_ source: SecretSource) {
        secrets.append(source)
    }
}

/// Reads one YAML mapping into typed values with defaults, recording a problem (with the field's dotted path) for
/// every wrong type, bad value or unknown key instead of stopping at the first.
///
/// Unknown keys are errors on purpose: a misspelt `never_blok` in a security tool must not silently fall back to a default.
struct ConfigReader {
    let path: String
    private let mapping: [String: Node]
    private let log: ProblemLog
    private let consumed: Consumed

    private final class Consumed { var keys: Set<String> = [] }

    init(node: Node?, path: String, log: ProblemLog) {
        self.path = path
        self.log = log
        self.consumed = Consumed()
        var mapping: [String: Node] = [:]
        switch node {
        case .mapping(let pairs):
            for (key, value) in pairs {
                guard let name = key.string else {
                    log.add(path.isEmpty ? "(top level)" : path, "keys must be strings")
                    continue
                }
                mapping[name] = value
            }
        case .none:
            break
        case .scalar(let scalar) where scalar.string == "" || scalar.tag == .init(.null):
            break
        default:
            log.add(path.isEmpty ? "(top level)" : path, "expected a mapping")
        }
        self.mapping = mapping
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func problem(_ key: String, _ reason: String) { log.add(field(key), reason) }

    private func value(_ key: String) -> Node? {
        consumed.keys.insert(key)
        guard let node = mapping[key] else { return nil }
        if case .scalar(let scalar) = node, scalar.tag == .init(.null) || (scalar.string.isEmpty && scalar.style == .plain) { return nil }
        return node
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func string(_ key: String) -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            problem(key, "expected a string")
            return nil
        }
        return scalar.string
    }

    func string(_ key: String, default fallback: String) -> String { string(key) ?? fallback }

    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let node = value(key) else { return fallback }
        guard let number = node.int else {
            problem(key, "expected a whole number")
            return fallback
        }
        guard range.contains(number) else {
            problem(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return number
    }

    func int64(_ key: String) -> Int64? {
        guard let node = value(key) else { return nil }
        guard let text = node.string, let number = Int64(text) else {
            problem(key, "expected a whole number")
            return nil
        }
        return number
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = value(key) else { return fallback }
        guard let flag = node.bool else {
            problem(key, "expected true or false")
            return fallback
        }
        return flag
    }

    /// A duration written `90s`, `5m`, `24h`, `7d`, or a number of seconds.
    func duration(_ key: String, default fallback: Duration, in range: ClosedRange<Duration>? = nil) -> Duration {
        guard let node = value(key) else { return fallback }
        guard let text = node.string, let parsed = DurationText.parse(text) else {
            problem(key, "expected a duration like 30s, 5m, 24h or 7d")
            return fallback
        }
        if let range, !range.contains(parsed) {
            problem(key, "must be between \(DurationText.format(range.lowerBound)) and \(DurationText.format(range.upperBound))")
            return fallback
        }
        return parsed
    }

    func stringList(_ key: String) -> [String] {
        guard let node = value(key) else { return [] }
        guard case .sequence(let items) = node else {
            problem(key, "expected a list")
            return []
        }
        return items.enumerated().compactMap { index, item in
            guard case .scalar(let scalar) = item else {
                log.add("\(field(key))[\(index)]", "expected a string")
                return nil
            }
            return scalar.string
        }
    }

    func section(_ key: String) -> ConfigReader {
        ConfigReader(node: value(key), path: field(key), log: log)
    }

    func list(_ key: String) -> [ConfigReader] {
        guard let node = value(key) else { return [] }
        guard case .sequence(let items) = node else {
            problem(key, "expected a list")
            return []
        }
        return items.enumerated().map { ConfigReader(node: $1, path: "\(field(key))[\($0)]", log: log) }
    }

    /// A secret given inline, as `{env: NAME}`, or as `{file: /path}` (first line, trimmed).
    func secret(_ key: String, environment: [String: String]) -> String? {
        guard let node = value(key) else { return nil }
        if case .scalar(let scalar) = node {
            log.recordSecret(SecretSource(field: field(key), file: nil))
            return scalar.string
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
            return contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        problem(key, "expected a value, {env: NAME} or {file: PATH}")
        return nil
    }

    /// Records every key of this mapping that no reader asked for.
    func rejectUnknownKeys() {
        for key in mapping.keys.sorted() where !consumed.keys.contains(key) {
            problem(key, "unknown field")
        }
    }
}

/// Parses and prints durations in the configuration's short form.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return nil }
        let unit: Int64
        var digits = Substring(trimmed)
        switch last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86_400
        case "0"..."9": unit = 1
        default: return nil
        }
        if last.isLetter { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCII), let value = Int64(digits), value >= 0 else { return nil }
        return .seconds(value * unit)
    }

    public static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 86_400 == 0, seconds > 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
