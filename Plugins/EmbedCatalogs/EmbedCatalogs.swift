import Foundation
import PackagePlugin

/// Compiles `translations/bot.<lang>.yml` into the target as Swift string literals, so an installed program needs
/// no file beside it. The YAML files stay the single source: every build regenerates the Swift file from them.
///
/// A build-tool plugin rather than SwiftPM resources: resources live in a bundle directory next to the binary, which
/// the README's "copy `bin/*`" deployment would leave behind.
@main
struct EmbedCatalogs: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "translations")
        let catalogs = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("bot.") && $0.pathExtension == "yml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedCatalogFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(catalogs.count) message catalogs",
                executable: try context.tool(named: "CatalogEmbedder").url,
                arguments: [output.path] + catalogs.map(\.path),
                inputFiles: catalogs,
                outputFiles: [output]
            )
        ]
    }
}
