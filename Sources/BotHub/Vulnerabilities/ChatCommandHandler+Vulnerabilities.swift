import Foundation
import Shared

extension ChatCommandHandler {
    /// Fleet-view Upgrade buttons per kind: the worst CVEs with a fix, the hosts with the most.
    static let fleetUpgradeButtons = 3

    /// `/vulns`: the fleet view, worst first, with "Upgrade on all N" for the worst fixable CVEs and "Upgrade all on
    /// <host>" for the worst hosts (`FleetUpgradeChoices`; admins only).
    func sendVulnerabilities(chatID: Int64, language: String) async {
        let renderer = VulnerabilityReportRenderer(catalogs: catalogs, language: language)
        let report: FleetVulnerabilityReport
        do {
            report = try FleetVulnerabilityReport.build(store: store)
        } catch {
            logger.error("cannot build the vulnerability report", metadata: ["error": "\(error)"])
            await send(
                chatID: chatID, html: catalogs.text(.commandFailed, language: language, ["reason": "the hub's database failed; see the hub log"]))
            return
        }
        await send(chatID: chatID, html: renderer.text(report), keyboard: fleetUpgradeKeyboard(report, language: language))
    }

    /// One button per row; each button's target is stored under its own short id (a CVE's hosts can be many).
    func fleetUpgradeKeyboard(_ report: FleetVulnerabilityReport, language: String) -> [[InlineButton]] {
        var buttons: [(label: String, target: FleetUpgradeTarget)] = []
        for issue in report.issues.filter({ !$0.fixes.isEmpty }).prefix(Self.fleetUpgradeButtons) {
            let hosts = issue.fixes.sorted { $0.key < $1.key }.map {
                FleetUpgradeTarget.Host(agent: $0.key, floors: [UpgradeFloor(source: issue.source, fixed: $0.value)])
            }
            let label = catalogs.text(
                .buttonFleetUpgradeIssue, language: language, ["count": String(hosts.count), "cve": issue.cve, "source": issue.source])
            buttons.append((label, FleetUpgradeTarget(label: "\(issue.cve) \(issue.source)", hosts: hosts)))
        }
        for host in report.hosts.filter({ !$0.fixes.isEmpty }).prefix(Self.fleetUpgradeButtons) {
            let label = catalogs.text(.buttonFleetUpgradeHost, language: language, ["host": host.agent])
            buttons.append((label, FleetUpgradeTarget(label: host.agent, hosts: [FleetUpgradeTarget.Host(agent: host.agent, floors: host.fixes)])))
        }
        var keyboard: [[InlineButton]] = []
        for button in buttons {
            do {
                let shortID = try store.saveFleetUpgrade(button.target, now: now())
                keyboard.append([InlineButton(text: button.label, callbackData: CallbackData(choice: .fleetUpgrade, shortID: shortID).text)])
            } catch {
                logger.error("cannot store a fleet upgrade button; /vulns goes without it", metadata: ["error": "\(error)"])
                return []
            }
        }
        return keyboard
    }

    /// The lines of `/status` for the Debian tracker, Ubuntu's OSV feed and the known-exploited list, each once it has
    /// ever been checked.
    func vulnerabilityFeedLines(language: String) -> [String] {
        let tracker: VulnerabilityFeedState?
        let ubuntu: VulnerabilityFeedState?
        let knownExploited: VulnerabilityFeedState?
        do {
            tracker = try store.vulnerabilityFeedState()
            ubuntu = try store.vulnerabilityFeedState(name: VulnerabilityFeed.ubuntuOSV.rawValue)
            knownExploited = try store.vulnerabilityFeedState(name: HubStore.knownExploitedFeedName)
        } catch {
            logger.error("cannot read the vulnerability feed state", metadata: ["error": "\(error)"])
            return []
        }
        let renderer = VulnerabilityReportRenderer(catalogs: catalogs, language: language)
        return [
            tracker.map { renderer.feedLine($0, now: now()) }, ubuntu.map { renderer.ubuntuFeedLine($0, now: now()) },
            knownExploited.map { renderer.knownExploitedLine($0, now: now()) },
        ]
        .compactMap { $0 }
    }
}
