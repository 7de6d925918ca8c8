import ArgumentParser
import Crypto
import Foundation
import Shared

/// Seal and open of a typical alert body, vs plain SHA-256 over the same bytes as the baseline.
struct SealBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seal", abstract: "Sealing and opening a 1 KiB body, vs SHA-256 of it.")

    @Option(help: "Operations per round.")
    var iterations = 20_000

    func run() throws {
        let key = AgentKey.generate()
        let body = [UInt8](repeating: 0x7B, count: 1024)
        let sealed = try Sealer.seal(body, direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: key)
        let seal = nanosecondsPerRun(iterations: iterations) {
            blackHole(try? Sealer.seal(body, direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: key))
        }
        let open = nanosecondsPerRun(iterations: iterations) {
            blackHole(try? Sealer.open(sealed, direction: .request(method: "POST", path: "/alert"), key: key))
        }
        let hash = nanosecondsPerRun(iterations: iterations) { blackHole(SHA256.hash(data: body)) }
        print(
            String(format: "seal %.0f ns (%.1f× SHA-256), open %.0f ns (%.1f× SHA-256), SHA-256 %.0f ns", seal, seal / hash, open, open / hash, hash))
        print(String(format: "≈ %.0f seals/s and %.0f opens/s on one core", 1e9 / seal, 1e9 / open))
    }
}
