import ArgumentParser
import Foundation
import Shared
import Testing
import VigilTestSupport

/// `install-boot`'s documentation step: completions from the parser, the man page from beside the binary.
@Suite("Documentation installer")
struct DocumentationInstallerTests {
    struct Tool: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tool", subcommands: [Watch.self])
        struct Watch: ParsableCommand {
            @Option var config: String = "/etc/x"
        }
    }

    @Test("writes bash, zsh and fish completions under the root, and the man page found in ../man/man1 beside the binary")
    func installs() throws {
        let root = NSTemporaryDirectory() + "vigil-docs-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tarball = root + "/tarball"
        try FileManager.default.createDirectory(atPath: tarball + "/man/man1", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tarball + "/bin", withIntermediateDirectories: true)
        try ".TH TOOL 1\n".write(toFile: tarball + "/man/man1/tool.1", atomically: true, encoding: .utf8)

        let report = try DocumentationInstaller(root: root + "/system").install(Tool.self, program: "tool", binary: tarball + "/bin/tool")
        #expect(report.count == 4)
        let bash = try String(contentsOfFile: root + "/system/usr/share/bash-completion/completions/tool", encoding: .utf8)
        #expect(bash.contains("watch") && bash.contains("--config"))
        #expect(FileManager.default.fileExists(atPath: root + "/system/usr/local/share/zsh/site-functions/_tool"))
        #expect(FileManager.default.fileExists(atPath: root + "/system/usr/share/fish/vendor_completions.d/tool.fish"))
        #expect(try String(contentsOfFile: root + "/system/usr/local/share/man/man1/tool.1", encoding: .utf8) == ".TH TOOL 1\n")

        let withoutPage = try DocumentationInstaller(root: root + "/other").install(Tool.self, program: "tool", binary: "/nowhere/bin/tool")
        #expect(withoutPage.last == "no man page beside the binary (the tarball's man/man1/tool.1); skipped")
    }
}
