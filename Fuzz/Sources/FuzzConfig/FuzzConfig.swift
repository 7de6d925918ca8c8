import BotHub
import Foundation
import FuzzSupport
import SentryAgent
import Shared

// Fuzzes the configuration readers: the YAML text of `agent.yml` and `hub.yml`, each input read as both.
//
// Properties: never crash; a configuration is either accepted or refused with problems that each name a field
// ("bad config must be refused naming the field").
//
// A `{file: PATH}` secret reads PATH: an operator's choice, not an attacker's, but a fuzzer would find `/dev/zero` (a
// read without end) or a FIFO (a read that blocks). So inputs naming any secret file outside a scratch directory the
// harness fills are skipped; the `{file:}` branch is still exercised with the files inside it.

private let sandbox = "/tmp/vigil-fuzz-config/"
private let key = Data((0..<32).map { UInt8($0) }).base64EncodedString()
private let token = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
private let environment = ["VIGIL_AGENT_KEY": key, "VIGIL_WEB1_KEY": key, "VIGIL_BOT_TOKEN": token]

/// Writes the secret files the `{file:}` seeds name.
private func prepareSandbox() {
    do {
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: true)
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: sandbox + "agent.key"))
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: sandbox + "bot.token"))
    } catch {
        require(false, "cannot prepare \(sandbox): \(error)")
    }
}

@main
enum FuzzConfigMain {
    static func main() {
        prepareSandbox()
        runFuzzer(fuzzOneInput)
    }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let yaml = String(decoding: inputBytes(data, size), as: UTF8.self)
    // Inputs the readers would refuse as YAML still go in (that refusal is a path too); only unsafe files are skipped.
    if let root = try? YAMLNode.parse(yaml) {
        var budget = 10_000
        guard namesOnlySafeFiles(root, budget: &budget) else { return -1 }
    }
    check { try AgentConfiguration.parse(yaml: yaml, environment: environment) }
    check { try HubConfiguration.parse(yaml: yaml, environment: environment) }
    return 0
}

private func check<Configuration>(_ parse: () throws -> Configuration) {
    do {
        _ = try parse()
    } catch let error as ConfigError {
        require(!error.problems.isEmpty, "a configuration was refused without a problem")
        for problem in error.problems {
            require(!problem.field.isEmpty && !problem.reason.isEmpty, "a problem without a field or reason: \(problem)")
        }
    } catch {
        require(false, "a configuration was refused with \(type(of: error)), not ConfigError: \(error)")
    }
}

/// Whether every `file:` value in `node` is a plain path inside the sandbox (false also when the tree is too large
/// to check within `budget` nodes; the composer bounds alias expansion, this keeps the harness itself fast).
private func namesOnlySafeFiles(_ node: YAMLNode, budget: inout Int) -> Bool {
    budget -= 1
    guard budget > 0 else { return false }
    switch node.kind {
    case .mapping(let pairs):
        for pair in pairs {
            if pair.key.scalar?.text == "file", let path = pair.value.scalar?.text, !(path.hasPrefix(sandbox) && !path.contains("..")) {
                return false
            }
            guard namesOnlySafeFiles(pair.key, budget: &budget), namesOnlySafeFiles(pair.value, budget: &budget) else { return false }
        }
    case .sequence(let items):
        for item in items { guard namesOnlySafeFiles(item, budget: &budget) else { return false } }
    case .scalar:
        break
    }
    return true
}
