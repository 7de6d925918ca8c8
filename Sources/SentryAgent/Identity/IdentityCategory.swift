import Shared

/// What a watched file is for; it picks the semantic difference and the severity rules.
enum IdentityCategory: String, Sendable, Codable, CaseIterable {
    case passwd, shadow, group, gshadow, sudoers
    case authorizedKeys = "authorized_keys"
    case sshd, cron, unit, preload, loader, pam
    case pamModule = "pam_module"
    case profile, apt
    case aptKey = "apt_key"
    case modprobe, hosts
    /// A file an operator added with `detectors.identity.paths`.
    case other

    /// Small text files whose content is kept (0600, in the state directory): the "before" of the next difference
    /// after a restart, and what a Revert restores. Units are many and only their new content is shown; PAM
    /// modules and keyrings are binary.
    var keepsCopy: Bool {
        switch self {
        case .unit, .pamModule, .aptKey: false
        default: true
        }
    }

    /// The largest file whose copy is kept; bigger files are compared by hash only.
    static let copyLimit = 256 * 1024
}

extension IdentityEvidence {
    /// A Revert can work: the file exists before and after the change, and is of a kind whose content is kept and
    /// small enough to have been kept.
    var isRevertible: Bool {
        guard !isDigest, sha256Before != nil, sha256After != nil, let category = IdentityCategory(rawValue: category), category.keepsCopy,
            let size = sizeBefore
        else { return false }
        return size <= IdentityCategory.copyLimit
    }
}

extension IdentityEvidence {
    /// The account an account-file change is about (a member added to a group: the member), for the log's "who".
    var changedAccount: String? {
        guard !isDigest, ["passwd", "shadow", "group", "gshadow"].contains(category) else { return nil }
        guard let fact = changes.first(where: { $0.target != nil && $0.change != "group_added" && $0.change != "group_removed" }),
            let target = fact.target
        else { return nil }
        return fact.change.hasPrefix("group_member") ? target.split(separator: ":").first.map(String.init) : target
    }
}
