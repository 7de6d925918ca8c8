/// Turns a configuration or catalog file's text into a YAML node tree, each mistake a problem of `field` (the file)
/// whose reason names the line: a tab in the indentation, a key given twice, a syntax error, an alias bomb.
///
/// The messages never repeat the document: configuration files hold secrets.
public enum YAMLDocument {
    /// The root node of `text`, or a problem of `field` naming the line.
    public static func compose(_ text: String, field: String = "(file)") throws(ConfigError) -> YAMLNode? {
        do {
            return try YAMLNode.parse(text)
        } catch {
            throw ConfigError(problems: [ConfigProblem(field: field, reason: error.description)])
        }
    }
}
