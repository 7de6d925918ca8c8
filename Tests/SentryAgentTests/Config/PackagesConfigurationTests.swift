import Shared
import Testing

@testable import SentryAgent

@Suite("detectors.packages")
struct PackagesConfigurationTests {
    private func problems(_ yaml: String) -> [String] {
        do {
            _ = try DetectorsConfiguration.parse(yaml: yaml)
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("off unless enabled; interval defaults to a day and is read as a duration")
    func defaultsAndValues() throws {
        #expect(DetectorsConfiguration().packages.enabled == false)
        #expect(DetectorsConfiguration().packages.interval == .seconds(86_400))
        let configuration = try DetectorsConfiguration.parse(yaml: "detectors:\n  packages:\n    enabled: true\n    interval: 6h\n")
        #expect(configuration.packages.enabled && configuration.packages.interval == .seconds(6 * 3600))
    }

    @Test("a misspelt key and an interval out of range are refused, naming the field")
    func refusesBadFields() {
        let found = problems("detectors:\n  packages:\n    enabeld: true\n    interval: 10s\n")
        #expect(found.contains { $0.hasPrefix("detectors.packages.enabeld: unknown field") })
        #expect(found.contains { $0.hasPrefix("detectors.packages.interval: must be between") })
    }
}
