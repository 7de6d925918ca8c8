import ArgumentParser

/// `vigil-bench`: reproduces every performance figure quoted in the README and issue notes.
///
/// Run in release mode (`swift run -c release vigil-bench <name>`); each benchmark prints its own baseline measured in
/// the same run, so ratios stay meaningful on a noisy machine.
@main
struct VigilBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench",
        abstract: "Benchmarks for Vigil's hot paths, each against a baseline measured in the same run.",
        subcommands: [
            HTTPParseBenchmark.self, SealBenchmark.self, HubIngestBenchmark.self, AlertLatencyBenchmark.self, DetectionBenchmark.self,
            ConfigParseBenchmark.self,
            PackagesBenchmark.self,
            ListenersBenchmark.self,
            VulnsBenchmark.self,
            UbuntuVulnsBenchmark.self,
            FootprintBenchmark.self,
        ]
    )
}

/// Times `body` over `iterations` runs and returns nanoseconds per run (best of `rounds`, to shed scheduler noise).
func nanosecondsPerRun(iterations: Int, rounds: Int = 5, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, nanoseconds / Double(iterations))
    }
    return best
}

/// Keeps the optimizer from deleting work whose result is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
