/// Why a YAML text could not be read, with the place it went wrong: `line 4, column 1: not valid YAML: …`.
///
/// The text itself is never quoted: configuration files hold secrets, and these messages go to logs.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line the problem is on (the later line, for a key given twice).
    public let line: Int
    /// The whole message, starting with its place in the text.
    public let description: String

    init(line: Int, column: Int?, _ reason: String) {
        self.line = line
        self.description = column.map { "line \(line), column \($0): \(reason)" } ?? "line \(line): \(reason)"
    }

    init(line: Int, description: String) {
        self.line = line
        self.description = description
    }
}
