import Foundation
import Shared

extension AgentEnrollmentFile {
    /// Why one entry of the file cannot be read: the field and what is wrong with it (`key is missing`).
    struct EntryProblem: Error {
        let reason: String
    }

    /// The file's text for `entries` (after its comment line): every string double-quoted, so no id, URL or key can
    /// read back as anything else, and times in the YAML timestamp form.
    static func yaml(_ entries: [Entry]) -> String {
        guard !entries.isEmpty else { return "[]\n" }
        let quoted = YAMLScalar.doubleQuoted
        var text = ""
        for entry in entries {
            text += "- id: \(quoted(entry.id))\n  url: \(quoted(entry.url))\n  key: \(quoted(entry.key))\n"
            guard !entry.retiredKeys.isEmpty else { continue }
            text += "  retiredKeys:\n"
            for retired in entry.retiredKeys {
                text += "    - key: \(quoted(retired.key))\n      validUntil: \(YAMLTimestamp.format(retired.validUntil))\n"
            }
        }
        return text
    }
}

extension AgentEnrollmentFile.Entry {
    /// Reads one `- id: …, url: …, key: …` entry. Fields it does not know are passed over, as they always were.
    init(_ node: YAMLNode) throws(AgentEnrollmentFile.EntryProblem) {
        guard case .mapping = node.kind else { throw .init(reason: "the entry: expected a mapping (id, url, key)") }
        self.init(id: try Self.text(node, "id"), url: try Self.text(node, "url"), key: try Self.text(node, "key"))
        if let list = Self.present(node, "retiredKeys") {
            guard case .sequence(let items) = list.kind else { throw .init(reason: "retiredKeys: expected a list") }
            for (index, item) in items.enumerated() {
                let field = "retiredKeys[\(index)]"
                guard case .mapping = item.kind else { throw .init(reason: "\(field): expected a mapping (key, validUntil)") }
                retiredKeys.append(
                    .init(
                        key: try Self.text(item, "key", field: "\(field).key"),
                        validUntil: try Self.time(item, "validUntil", field: "\(field).validUntil")))
            }
        }
        // Written before several rotations could overlap: one previous key.
        if Self.present(node, "previousKey") != nil, Self.present(node, "previousKeyUntil") != nil {
            retiredKeys.append(.init(key: try Self.text(node, "previousKey"), validUntil: try Self.time(node, "previousKeyUntil")))
        }
    }

    /// The value of `key`, unless it is absent or null.
    private static func present(_ node: YAMLNode, _ key: String) -> YAMLNode? {
        guard let value = node[key], value.scalar?.isNull != true else { return nil }
        return value
    }

    private static func text(_ node: YAMLNode, _ key: String, field: String? = nil) throws(AgentEnrollmentFile.EntryProblem) -> String {
        guard let value = present(node, key) else { throw .init(reason: "\(field ?? key) is missing") }
        guard let scalar = value.scalar else { throw .init(reason: "\(field ?? key): expected text") }
        return scalar.text
    }

    private static func time(_ node: YAMLNode, _ key: String, field: String? = nil) throws(AgentEnrollmentFile.EntryProblem) -> Date {
        let text = try text(node, key, field: field)
        guard let date = YAMLTimestamp.parse(text) else {
            throw .init(reason: "\(field ?? key): not a time like 2026-03-01T12:00:00Z")
        }
        return date
    }
}
