import ArgumentParser
import BotHub
import Foundation
import SentryAgent
import Shared

/// Cost of reading configuration at start: the example agent file through libyaml alone and through the whole
/// reader, the built-in catalogs, and refusing an alias bomb. Absolute times (a start-up cost paid once, so there
/// is no hot-path baseline to hold it against).
struct ConfigParseBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-parse", abstract: "Reading the example agent configuration and the catalogs, and refusing an alias bomb.")

    @Option(help: "The agent configuration to read.")
    var file = "config/agent.example.yml"

    @Option(help: "Parses per round.")
    var iterations = 2000

    func run() throws {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let environment = ["VIGIL_AGENT_KEY": AgentKey.generate().base64]
        _ = try AgentConfiguration.parse(yaml: text, environment: environment)
        let bytes = Array(text.utf8)
        let compose = nanosecondsPerRun(iterations: iterations) { blackHole(try? YAMLNode.parse(bytes: bytes)) }
        let read = nanosecondsPerRun(iterations: iterations) { blackHole(try? AgentConfiguration.parse(yaml: text, environment: environment)) }
        let catalogs = nanosecondsPerRun(iterations: max(1, iterations / 10)) { blackHole(try? MessageCatalogs.builtIn()) }
        var bomb = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 { bomb += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let refuse = nanosecondsPerRun(iterations: iterations) { blackHole(try? YAMLNode.parse(bomb)) }
        print("\(file): \(bytes.count) bytes, \(bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }) lines")
        print("libyaml to nodes        \(Self.micro(compose)) µs  (\(Int((Double(bytes.count) / compose * 1000).rounded())) MB/s)")
        print("whole agent reader      \(Self.micro(read)) µs")
        print("built-in catalogs       \(Self.micro(catalogs)) µs")
        print("billion laughs refused  \(Self.micro(refuse)) µs")
    }

    private static func micro(_ nanoseconds: Double) -> String { String(format: "%.1f", nanoseconds / 1000) }
}
