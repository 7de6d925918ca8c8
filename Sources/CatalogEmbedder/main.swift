import Foundation

// Build tool run by the EmbedCatalogs plugin: `CatalogEmbedder OUTPUT.swift CATALOG.yml…` writes each catalog's text
// as an escaped one-line string literal keyed by its file name, so no file content can end the literal early.

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: CatalogEmbedder OUTPUT.swift CATALOG.yml…\n".utf8))
    exit(2)
}

func literal(_ text: String) -> String {
    var escaped = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F: escaped += "\\u{\(String(scalar.value, radix: 16))}"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped + "\""
}

var lines = [
    "// Generated at build time from translations/ by the EmbedCatalogs plugin; edit the YAML files, not this.",
    "extension MessageCatalogs {",
    "    /// The catalog files as they were when the program was built: file name to YAML text.",
    "    static let builtInFiles: [String: String] = [",
]
for path in arguments.dropFirst() {
    do {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        lines.append("        \(literal((path as NSString).lastPathComponent)): \(literal(text)),")
    } catch {
        FileHandle.standardError.write(Data("CatalogEmbedder: cannot read \(path): \(error)\n".utf8))
        exit(1)
    }
}
lines += ["    ]", "}", ""]
do {
    try lines.joined(separator: "\n").write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("CatalogEmbedder: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
