import Shared

/// What changed in a watched file, in words: pure, from the content before and after (nil when the file did not
/// exist or its content was not kept). Identical content gives no fact.
enum IdentityDiff {
    /// Groups whose members are root or can become root (docker and lxd mount the host's disk; disk and shadow read
    /// raw devices and password hashes).
    static let privilegedGroups: Set<String> = ["sudo", "wheel", "admin", "root", "docker", "lxd", "disk", "shadow"]
    /// Groups worth a word but not root-equivalent.
    static let notableGroups: Set<String> = ["adm", "systemd-journal", "libvirt", "kvm", "video", "input", "netdev"]

    /// The most lines quoted from a generic text difference.
    static let lineLimit = 10

    static func facts(category: IdentityCategory, path: String, before: [UInt8]?, after: [UInt8]?) -> [IdentityFact] {
        if before == after { return [] }
        let old = before ?? []
        let new = after ?? []
        switch category {
        case .passwd: return users(old, new)
        case .group: return groups(old, new, shadowFormat: false)
        case .gshadow: return groups(old, new, shadowFormat: true)
        case .shadow: return passwords(old, new)
        case .sudoers: return sudoers(old, new)
        case .authorizedKeys: return keys(old, new)
        case .preload: return preload(new)
        case .unit: return unit(path: path, before: before, after: after)
        case .sshd: return sshd(old, new)
        case .cron, .loader, .pam, .profile, .apt, .modprobe, .hosts, .other: return lines(category: category, old, new)
        case .pamModule, .aptKey: return []
        }
    }

    // MARK: - Accounts

    static func users(_ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = AccountEntries.users(before)
        let new = AccountEntries.users(after)
        var facts: [IdentityFact] = []
        for user in new.values.sorted(by: { $0.name < $1.name }) {
            let uid = user.uid.map(String.init) ?? "?"
            guard let previous = old[user.name] else {
                facts.append(
                    IdentityFact(
                        change: user.uid == 0 ? "uid_zero" : "user_added",
                        detail: "user \(user.name) added (uid \(uid), home \(user.home), shell \(user.shell))", target: user.name,
                        critical: user.uid == 0))
                continue
            }
            if user.uid == 0, previous.uid != 0 {
                facts.append(
                    IdentityFact(
                        change: "uid_zero", detail: "user \(user.name) now has uid 0 (was \(previous.uid.map(String.init) ?? "?"))",
                        target: user.name,
                        critical: true))
            } else if user.uid != previous.uid {
                facts.append(
                    IdentityFact(
                        change: "uid_changed", detail: "user \(user.name): uid \(previous.uid.map(String.init) ?? "?") → \(uid)", target: user.name))
            }
            if user.shell != previous.shell {
                facts.append(
                    IdentityFact(change: "shell_changed", detail: "user \(user.name): shell \(previous.shell) → \(user.shell)", target: user.name))
            }
            if user.home != previous.home {
                facts.append(
                    IdentityFact(change: "home_changed", detail: "user \(user.name): home \(previous.home) → \(user.home)", target: user.name))
            }
        }
        for name in Set(old.keys).subtracting(new.keys).sorted() {
            facts.append(IdentityFact(change: "user_removed", detail: "user \(name) removed", target: name))
        }
        return facts
    }

    static func groups(_ before: [UInt8], _ after: [UInt8], shadowFormat: Bool) -> [IdentityFact] {
        let old = AccountEntries.groups(before, shadowFormat: shadowFormat)
        let new = AccountEntries.groups(after, shadowFormat: shadowFormat)
        var facts: [IdentityFact] = []
        for group in new.values.sorted(by: { $0.name < $1.name }) {
            let privileged = privilegedGroups.contains(group.name)
            let previous = old[group.name]
            if previous == nil {
                facts.append(IdentityFact(change: "group_added", detail: "group \(group.name) added", target: group.name, critical: group.gid == 0))
            }
            if let previous, group.gid == 0, previous.gid != 0 {
                facts.append(IdentityFact(change: "group_gid_zero", detail: "group \(group.name) now has gid 0", target: group.name, critical: true))
            }
            for member in group.members where !(previous?.members.contains(member) ?? false) {
                let note = privileged ? " (root-equivalent)" : ""
                facts.append(
                    IdentityFact(
                        change: "group_member_added", detail: "\(member) added to group \(group.name)\(note)", target: "\(member):\(group.name)",
                        critical: privileged))
            }
            for member in previous?.members ?? [] where !group.members.contains(member) {
                facts.append(
                    IdentityFact(
                        change: "group_member_removed", detail: "\(member) removed from group \(group.name)", target: "\(member):\(group.name)"))
            }
        }
        for name in Set(old.keys).subtracting(new.keys).sorted() {
            facts.append(IdentityFact(change: "group_removed", detail: "group \(name) removed", target: name))
        }
        // A member of a privileged group sorts first: it is the line the operator must read.
        return facts.sorted { $0.critical && !$1.critical }
    }

    static func passwords(_ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = AccountEntries.passwords(before)
        let new = AccountEntries.passwords(after)
        var facts: [IdentityFact] = []
        for (name, state) in new.sorted(by: { $0.key < $1.key }) {
            let previous = old[name]
            guard previous != state else { continue }
            switch (previous, state) {
            case (_, .empty):
                facts.append(IdentityFact(change: "password_removed", detail: "\(name) can log in without a password", target: name, critical: true))
            case (.locked(let rest)?, .usable(let hash)) where rest == hash:
                facts.append(IdentityFact(change: "password_unlocked", detail: "\(name)'s password unlocked", target: name))
            case (nil, .usable), (.empty?, .usable), (.locked?, .usable):
                facts.append(IdentityFact(change: "password_set", detail: "password set for \(name)", target: name))
            case (.usable?, .usable):
                facts.append(IdentityFact(change: "password_changed", detail: "\(name)'s password changed", target: name))
            case (.usable?, .locked), (.empty?, .locked):
                facts.append(IdentityFact(change: "password_locked", detail: "\(name)'s password locked", target: name))
            case (nil, .locked), (.locked?, .locked):
                // A new account that cannot log in by password, or a re-lock: nothing worth a line.
                continue
            }
        }
        return facts
    }

    // MARK: - sudoers

    static func sudoers(_ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = Set(sudoLines(before))
        var facts: [IdentityFact] = []
        for line in sudoLines(after) where !old.contains(line) {
            let upper = line.uppercased()
            if upper.hasPrefix("DEFAULTS") {
                facts.append(IdentityFact(change: "sudo_defaults_changed", detail: "sudo setting added: \(line)"))
            } else if line.hasPrefix("@include") || line.hasPrefix("#include") {
                facts.append(IdentityFact(change: "sudo_include_added", detail: "sudoers now includes: \(line)", critical: true))
            } else if upper.contains("NOPASSWD") {
                facts.append(
                    IdentityFact(
                        change: "nopasswd_added", detail: "sudo rule without password added: \(line)", target: firstWord(line), critical: true))
            } else {
                facts.append(IdentityFact(change: "sudo_rule_added", detail: "sudo rule added: \(line)", target: firstWord(line), critical: true))
            }
        }
        let new = Set(sudoLines(after))
        for line in sudoLines(before) where !new.contains(line) {
            facts.append(IdentityFact(change: "sudo_rule_removed", detail: "sudo rule removed: \(line)"))
        }
        return facts
    }

    /// Logical sudoers lines: comments dropped (but `#include` kept), backslash continuations joined, blanks squeezed.
    static func sudoLines(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var pending = ""
        for raw in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingWhitespace()
            if line.hasPrefix("#"), !line.hasPrefix("#include") { line = "" }
            if line.hasSuffix("\\") {
                pending += String(line.dropLast()) + " "
                continue
            }
            let whole = (pending + line).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            pending = ""
            if !whole.isEmpty { lines.append(whole) }
        }
        return lines
    }

    private static func firstWord(_ line: String) -> String? {
        line.split(separator: " ").first.map(String.init)
    }

    // MARK: - authorized_keys

    static func keys(_ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = AuthorizedKey.all(in: before)
        let new = AuthorizedKey.all(in: after)
        let oldByBlob = Dictionary(old.map { ($0.blob, $0) }, uniquingKeysWith: { first, _ in first })
        let newBlobs = Set(new.map(\.blob))
        var facts: [IdentityFact] = []
        for key in new {
            let options = key.notableOptions
            let optionText = options.isEmpty ? "" : " with " + options.joined(separator: ", ")
            let comment = key.comment.isEmpty ? "" : " “\(key.comment)”"
            if let previous = oldByBlob[key.blob] {
                if previous.options != key.options {
                    facts.append(
                        IdentityFact(
                            change: "key_options_changed",
                            detail: "key \(key.fingerprint)\(comment): options \(previous.options.isEmpty ? "none" : previous.options) → "
                                + (key.options.isEmpty ? "none" : key.options), target: key.fingerprint))
                }
                continue
            }
            facts.append(
                IdentityFact(change: "key_added", detail: "key added: \(key.type) \(key.fingerprint)\(comment)\(optionText)", target: key.fingerprint)
            )
        }
        for key in old where !newBlobs.contains(key.blob) {
            let comment = key.comment.isEmpty ? "" : " “\(key.comment)”"
            facts.append(
                IdentityFact(change: "key_removed", detail: "key removed: \(key.type) \(key.fingerprint)\(comment)", target: key.fingerprint))
        }
        return facts
    }

    // MARK: - Loader, units, sshd, generic lines

    static func preload(_ after: [UInt8]) -> [IdentityFact] {
        let entries = textLines(after)
        guard !entries.isEmpty else { return [IdentityFact(change: "preload_cleared", detail: "ld.so.preload is empty")] }
        return entries.prefix(lineLimit).map {
            IdentityFact(change: "preload_set", detail: "every program now loads \($0)", target: $0, critical: true)
        }
    }

    static func unit(path: String, before: [UInt8]?, after: [UInt8]?) -> [IdentityFact] {
        let name = FileSystemPath.lastComponent(of: path)
        guard let after else {
            return before == nil ? [] : [IdentityFact(change: "unit_removed", detail: "unit \(name) removed", target: name)]
        }
        let text = String(decoding: after, as: UTF8.self)
        if text.hasPrefix("-> ") {
            return [IdentityFact(change: "unit_linked", detail: "\(name) \(text)", target: name)]
        }
        let commands = textLines(after).filter { $0.hasPrefix("Exec") }
        let verb = before == nil ? "added" : "changed"
        var facts = [IdentityFact(change: before == nil ? "unit_added" : "unit_changed", detail: "unit \(name) \(verb)", target: name)]
        let previous = Set(before.map(textLines) ?? [])
        facts += commands.filter { !previous.contains($0) }.prefix(lineLimit).map {
            IdentityFact(change: "unit_exec", detail: "\(name) runs \($0)", target: name)
        }
        return facts
    }

    /// sshd settings that changed, keyword by keyword (first value wins, as in sshd), from the file's own lines: what
    /// is said when sshd's effective configuration (`SSHDEffectiveConfiguration`) cannot be read.
    static func sshd(_ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = sshdSettings(before)
        let new = sshdSettings(after)
        return Set(old.keys).union(new.keys).sorted().filter { old[$0] != new[$0] }.map {
            sshdFact(key: $0, old: old[$0] ?? "(default)", new: new[$0] ?? "(default)")
        }
    }

    /// One sshd keyword whose value changed; critical when it opens logins (root, passwords, empty passwords) or
    /// changes where keys are looked up.
    static func sshdFact(key: String, old: String, new: String) -> IdentityFact {
        let risky: Set<String> = ["permitrootlogin yes", "passwordauthentication yes", "permitemptypasswords yes"]
        let critical = risky.contains("\(key) \(new.lowercased())") || key == "authorizedkeysfile" || key == "authorizedkeyscommand"
        return IdentityFact(change: "sshd_setting_changed", detail: "sshd \(key): \(old) → \(new)", target: key, critical: critical)
    }

    static func sshdSettings(_ bytes: [UInt8]) -> [String: String] {
        var settings: [String: String] = [:]
        for line in textLines(bytes) {
            // A Match block's settings are conditional; only the unconditional part is compared.
            if line.lowercased().hasPrefix("match ") { break }
            let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" })
            guard parts.count == 2 else { continue }
            let key = parts[0].lowercased()
            if settings[key] == nil { settings[key] = parts[1].trimmingWhitespace() }
        }
        return settings
    }

    static func lines(category: IdentityCategory, _ before: [UInt8], _ after: [UInt8]) -> [IdentityFact] {
        let old = textLines(before)
        let new = textLines(after)
        let oldSet = Set(old)
        let newSet = Set(new)
        let added = new.filter { !oldSet.contains($0) }
        let removed = old.filter { !newSet.contains($0) }
        let noun = category == .cron ? "cron line" : "line"
        var facts = added.prefix(lineLimit).map { IdentityFact(change: "line_added", detail: "\(noun) added: \($0)") }
        facts += removed.prefix(lineLimit).map { IdentityFact(change: "line_removed", detail: "\(noun) removed: \($0)") }
        return facts
    }

    /// Non-blank, non-comment lines, trimmed.
    static func textLines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
