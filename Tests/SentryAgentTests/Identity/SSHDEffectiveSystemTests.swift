import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// sshd_config changes said as sshd's effective configuration changed (`sshd -T -f` before and after, with the real
/// sshd binary, no daemon running), also across a restart of the watch.
@Suite("identity: sshd effective configuration", .serialized, .system)
struct SSHDEffectiveSystemTests {
    static let sshd = "/usr/sbin/sshd"
    static let canRun = SystemRequirements.isRoot && FileManager.default.isExecutableFile(atPath: sshd)
    static let reason: Comment = "needs root and /usr/sbin/sshd"

    static func monitor(_ tree: IdentityTree) -> IdentityMonitor {
        IdentityMonitor(
            watched: WatchedSet(root: tree.root), detector: IdentityDetector(), store: IdentityStore(stateDirectory: tree.state.path),
            logger: Logger(label: "identity-test"), packageLockHeld: { false },
            sshdReader: SSHDEffectiveReader(sshd: sshd, configPath: tree.root + "/etc/ssh/sshd_config"))
    }

    static func facts(_ detections: [Detection], path: String) throws -> [IdentityFact] {
        try #require(detections.compactMap(IdentityTree.evidence).first { $0.path == path }, "no alert for \(path)").changes
    }

    @Test(
        "a drop-in that turns passwords on says the effective value it replaced, and a restart keeps the last sshd -T", .enabled(if: canRun, reason))
    func effectiveValues() throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        try FileManager.default.createDirectory(atPath: tree.root + "/etc/ssh/sshd_config.d", withIntermediateDirectories: true)
        // The drop-ins come first, as Debian's sshd_config has them: the first value of a keyword wins.
        try IdentityTree.write(
            tree.root + "/etc/ssh/sshd_config",
            "Include \(tree.root)/etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n")
        var monitor = Self.monitor(tree)
        #expect(monitor.start(time: 0).isEmpty)
        #expect(FileManager.default.fileExists(atPath: IdentityStore(stateDirectory: tree.state.path).sshdEffectivePath))

        try IdentityTree.write(tree.root + "/etc/ssh/sshd_config.d/50-cloud.conf", "PasswordAuthentication yes\n")
        let dropIn = try Self.facts(monitor.rescan(seenBy: "rescan", time: 1), path: "/etc/ssh/sshd_config.d/50-cloud.conf")
        // The file alone would say "(default) → yes": only sshd -T knows the value it replaced.
        #expect(dropIn.map(\.detail) == ["sshd passwordauthentication: no → yes"])
        #expect(dropIn.first?.critical == true)

        // A restart: the last sshd -T output is kept in the state, so a change made while down is still said exactly.
        try IdentityTree.write(
            tree.root + "/etc/ssh/sshd_config",
            "Include \(tree.root)/etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin yes\n")
        var restarted = Self.monitor(tree)
        let main = try Self.facts(restarted.start(time: 2), path: "/etc/ssh/sshd_config")
        #expect(main.map(\.detail) == ["sshd permitrootlogin: without-password → yes"])

        // A line that changes nothing sshd does: the alert says so instead of naming a setting.
        try IdentityTree.write(tree.root + "/etc/ssh/sshd_config.d/60-same.conf", "PasswordAuthentication no\n")
        let same = try Self.facts(restarted.rescan(seenBy: "rescan", time: 3), path: "/etc/ssh/sshd_config.d/60-same.conf")
        #expect(same.map(\.change) == ["sshd_effective_unchanged"])
    }

    @Test("sshd -T output is read keyword by keyword; repeated keywords keep every value")
    func parse() {
        let output = Array("port 22\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\npasswordauthentication no\nbanner none\n".utf8)
        let settings = SSHDEffectiveConfiguration(output: output).settings
        #expect(settings["listenaddress"] == "[::]:22, 0.0.0.0:22")
        #expect(settings["passwordauthentication"] == "no")
        let before = SSHDEffectiveConfiguration(settings: ["passwordauthentication": "no", "port": "22"])
        let after = SSHDEffectiveConfiguration(settings: ["passwordauthentication": "yes", "port": "22", "banner": "/etc/issue"])
        #expect(
            SSHDEffectiveConfiguration.facts(before: before, after: after).map(\.detail) == [
                "sshd banner: (unset) → /etc/issue", "sshd passwordauthentication: no → yes",
            ])
    }
}
