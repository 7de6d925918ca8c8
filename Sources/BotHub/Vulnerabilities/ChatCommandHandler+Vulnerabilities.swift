import Foundation
import Shared

extension ChatCommandHandler {
    /// `/vulns`: the fleet view, worst first.
    func vulnerabilities(language: String) -> String {
        let renderer = VulnerabilityReportRenderer(catalogs: catalogs, language: language)
        do {
            return renderer.text(try FleetVulnerabilityReport.build(store: store))
        } catch {
            logger.error("cannot build the vulnerability report", metadata: ["error": "\(error)"])
            return catalogs.text(.commandFailed, language: language, ["reason": "the hub's database failed; see the hub log"])
        }
    }

    /// The feed's line for `/status`, when the feed has ever been checked.
    func vulnerabilityFeedLine(language: String) -> String? {
        let state: VulnerabilityFeedState?
        do {
            state = try store.vulnerabilityFeedState()
        } catch {
            logger.error("cannot read the vulnerability feed state", metadata: ["error": "\(error)"])
            return nil
        }
        return state.map { VulnerabilityReportRenderer(catalogs: catalogs, language: language).feedLine($0, now: now()) }
    }
}
