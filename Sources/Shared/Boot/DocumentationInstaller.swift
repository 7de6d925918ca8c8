import ArgumentParser
import FoundationEssentials

/// Installs a program's shell completions and man page where bash, zsh, fish and man look for them (`install-boot`).
///
/// Completions are generated from the running program's own argument parser, so they always match the binary being
/// installed; the man page is copied from the tarball's `man/man1/` beside `bin/` when it is there.
public struct DocumentationInstaller: Sendable {
    public let root: String

    public init(root: String = "/") {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// Where each shell's completion for `program` goes.
    public static func completionPath(_ shell: CompletionShell, program: String) -> String {
        switch shell {
        case .zsh: "/usr/local/share/zsh/site-functions/_\(program)"
        case .fish: "/usr/share/fish/vendor_completions.d/\(program).fish"
        default: "/usr/share/bash-completion/completions/\(program)"
        }
    }

    /// Installs the completions of `command` and, if found beside `binary` (`../man/man1/<program>.1`), its man page.
    /// Returns a line per file written, and one saying why the man page was skipped.
    public func install(_ command: any ParsableCommand.Type, program: String, binary: String?) throws -> [String] {
        var report: [String] = []
        for shell in [CompletionShell.bash, .zsh, .fish] {
            let path = root + Self.completionPath(shell, program: program)
            try write(command.completionScript(for: shell), to: path)
            report.append("wrote \(path)")
        }
        let page = binary.map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("../man/man1/\(program).1").standardized.path
        }
        if let page, let text = try? String(contentsOfFile: page, encoding: .utf8) {
            let path = root + "/usr/local/share/man/man1/\(program).1"
            try write(text, to: path)
            report.append("wrote \(path)")
        } else {
            report.append("no man page beside the binary (the tarball's man/man1/\(program).1); skipped")
        }
        return report
    }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: FileSystemPath.directory(of: path), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ConfigError(problems: [ConfigProblem(field: "install-boot", reason: "cannot write \(path)")])
        }
    }
}
