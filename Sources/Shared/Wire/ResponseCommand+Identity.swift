import FoundationEssentials

extension IdentityEvidence {
    /// True for a package-run digest: it names many files, so no file or account action is offered on it.
    public var isDigest: Bool { digestPaths != nil }

    /// The fingerprint of the first key this change added to an authorized_keys file: what Remove this key removes.
    public var addedKeyFingerprint: String? {
        guard !isDigest, category == "authorized_keys" else { return nil }
        return changes.first { $0.change == "key_added" }?.target
    }

    /// The first account this change added (or gave uid 0): what Lock user locks.
    public var addedUser: String? {
        guard !isDigest, category == "passwd" else { return nil }
        return changes.first { $0.change == "user_added" || $0.change == "uid_zero" }?.target
    }

    /// The first group membership this change added (privileged groups sort first): what Remove from group undoes.
    public var addedGroupMember: (user: String, group: String)? {
        guard !isDigest, category == "group" || category == "gshadow",
            let target = changes.first(where: { $0.change == "group_member_added" })?.target,
            let colon = target.firstIndex(of: ":")
        else { return nil }
        return (String(target[..<colon]), String(target[target.index(after: colon)...]))
    }
}

extension ResponseAction {
    /// The command for an identity action on `change`, from the evidence alone (the agent re-checks all of it).
    init(identity action: AlertAction, on change: IdentityEvidence) throws(CommandConstructionError) {
        switch action {
        case .acceptChange:
            guard !change.isDigest else { throw CommandConstructionError(description: "a package-run digest has no one file to accept") }
            self = .acceptChange(path: change.path, sha256: change.sha256After)
        case .revertFile:
            guard !change.isDigest, let after = change.sha256After, let before = change.sha256Before else {
                throw CommandConstructionError(description: "the change has no content before and after to revert between")
            }
            self = .revertFile(path: change.path, sha256: after, sha256Before: before)
        case .removeKey:
            guard let fingerprint = change.addedKeyFingerprint else { throw CommandConstructionError(description: "the change added no key") }
            self = .removeKey(path: change.path, fingerprint: fingerprint)
        case .lockUser:
            guard let user = change.addedUser else { throw CommandConstructionError(description: "the change added no user") }
            self = .lockUser(user: user)
        case .removeFromGroup:
            guard let member = change.addedGroupMember else { throw CommandConstructionError(description: "the change added no group member") }
            self = .removeFromGroup(user: member.user, group: member.group)
        case .killWriter:
            guard let writer = change.writer, let startTime = writer.pidStartTime else {
                throw CommandConstructionError(description: "the writer and its start time were not recorded, so it cannot be killed safely")
            }
            self = .killWriter(pid: writer.pid, startTime: startTime)
        default:
            throw CommandConstructionError(description: "\(action.rawValue) is not an identity action")
        }
    }
}
