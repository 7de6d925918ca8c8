import Shared

/// Turns one observed change of a watched file into a detection: the semantic difference, the severity rules, and
/// the package-run digest. Pure: snapshots and the writer in, detections out, time from the caller.
struct IdentityDetector {
    struct Configuration: Sendable {
        /// A package run's digest is reported once no package write was seen for this long.
        var packageQuietSeconds: Int64 = 10
        /// The most paths a digest names.
        var digestLimit = 50
    }

    /// A change as the monitor saw it.
    struct Observation: Sendable {
        var path: String
        var category: IdentityCategory
        var before: FileSnapshot?
        /// The kept content before the change (nil when the file was absent or too big to keep).
        var beforeContent: [UInt8]?
        var after: FileSnapshot?
        var writer: WriterReader.Writer?
        /// `realtime`, `rescan` or `verification`.
        var seenBy: String
        /// The file lies in the home of a uid 0 account (a key added there opens root).
        var privileged = false
        /// dpkg's lock is held: a writer-less change is part of a package run.
        var packageLockHeld = false
        /// For sshd_config and its drop-ins: sshd's effective configuration before and after (nil: not read, and the
        /// file's own lines are compared instead).
        var sshdEffective: SSHDEffectiveChange? = nil
    }

    /// Changes whose facts say the host got safer or nothing worse: these alone make an info alert.
    static let calmingChanges: Set<String> = [
        "user_removed", "group_removed", "group_member_removed", "key_removed", "password_locked", "sudo_rule_removed", "preload_cleared",
        "unit_removed",
    ]

    let configuration: Configuration
    private var digest: Digest?

    private struct Digest {
        var paths: [String] = []
        var facts: [IdentityFact] = []
        var writer: WriterEvidence?
        var first: Int64
        var last: Int64
    }

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The detection for `observation`, or nil when nothing that matters changed (an identical rewrite) or the change
    /// joined a package-run digest.
    mutating func observe(_ observation: Observation, time: Int64) -> Detection? {
        guard let evidence = Self.evidence(observation) else { return nil }
        if observation.writer?.isPackageRun ?? (observation.packageLockHeld && observation.seenBy == "realtime") {
            var pending = digest ?? Digest(writer: observation.writer?.evidence, first: time, last: time)
            if !pending.paths.contains(observation.path), pending.paths.count < configuration.digestLimit { pending.paths.append(observation.path) }
            pending.facts += evidence.changes.filter(\.critical).prefix(max(0, 10 - pending.facts.count))
            pending.last = time
            digest = pending
            return nil
        }
        return Detection(
            kind: .identityChange, severity: Self.severity(evidence, observation: observation), subject: .identity(evidence), observedAt: time,
            firstSeen: time, lastSeen: time, origin: nil)
    }

    /// The package-run digest once the run has been quiet for the configured time (or at once with `force`).
    mutating func flush(time: Int64, force: Bool = false) -> Detection? {
        guard let pending = digest, force || time - pending.last >= configuration.packageQuietSeconds else { return nil }
        digest = nil
        let tool = pending.writer?.exe.map { FileSystemPath.lastComponent(of: $0) } ?? "dpkg"
        let summary = IdentityFact(
            change: "package_run",
            detail: "\(pending.paths.count) watched file\(pending.paths.count == 1 ? "" : "s") changed by a package run (\(tool))")
        let evidence = IdentityEvidence(
            path: pending.paths.first ?? "", category: "package_run", changes: [summary] + pending.facts, sizeBefore: nil, sizeAfter: nil,
            sha256After: nil, writer: pending.writer, seenBy: "realtime", digestPaths: pending.paths)
        // A package that adds a member to a privileged group or sets a preload is still worth a look, not an alarm.
        return Detection(
            kind: .identityChange, severity: pending.facts.isEmpty ? .info : .warning, subject: .identity(evidence), observedAt: time,
            firstSeen: pending.first, lastSeen: pending.last, origin: nil)
    }

    /// True while a package-run digest is collecting.
    var isCollecting: Bool { digest != nil }

    /// The evidence of a change, or nil when the content and its mode and owner are unchanged.
    static func evidence(_ observation: Observation) -> IdentityEvidence? {
        let before = observation.before
        let after = observation.after
        if before == nil, after == nil { return nil }
        if let before, let after, before.sha256 == after.sha256, before.stamp.mode == after.stamp.mode, before.stamp.owner == after.stamp.owner,
            before.stamp.group == after.stamp.group
        {
            return nil
        }
        let beforeContent = before == nil ? nil : (observation.beforeContent ?? [])
        var facts: [IdentityFact] = []
        if before?.sha256 != after?.sha256 {
            facts =
                observation.sshdEffective?.facts
                ?? IdentityDiff.facts(category: observation.category, path: observation.path, before: beforeContent, after: after?.content)
        }
        if let before, let after,
            before.stamp.permissions != after.stamp.permissions || before.stamp.owner != after.stamp.owner
                || before.stamp.group != after.stamp.group, !after.stamp.isSymbolicLink
        {
            let worldWritable = after.stamp.permissions & 0o002 != 0
            facts.append(
                IdentityFact(
                    change: "mode_changed",
                    detail: "mode \(octal(before.stamp.permissions)) \(before.stamp.owner):\(before.stamp.group) → "
                        + "\(octal(after.stamp.permissions)) \(after.stamp.owner):\(after.stamp.group)" + (worldWritable ? " (world-writable)" : ""),
                    critical: worldWritable))
        }
        if facts.isEmpty {
            switch (before, after) {
            case (nil, _?): facts.append(IdentityFact(change: "file_created", detail: "file created"))
            case (_?, nil): facts.append(IdentityFact(change: "file_removed", detail: "file removed"))
            default: facts.append(IdentityFact(change: "file_changed", detail: "content changed"))
            }
        }
        if observation.privileged, observation.category == .authorizedKeys {
            for index in facts.indices where facts[index].change == "key_added" {
                facts[index].critical = true
                facts[index].detail += " (opens root)"
            }
        }
        return IdentityEvidence(
            path: observation.path, category: observation.category.rawValue, changes: facts.sorted { $0.critical && !$1.critical },
            sizeBefore: before.map { Int($0.stamp.size) }, sizeAfter: after.map { Int($0.stamp.size) }, sha256After: after?.sha256,
            writer: observation.writer?.evidence, seenBy: observation.seenBy, sha256Before: before?.sha256)
    }

    static func severity(_ evidence: IdentityEvidence, observation: Observation) -> Severity {
        if evidence.changes.contains(where: \.critical) { return .critical }
        if evidence.changes.allSatisfy({ calmingChanges.contains($0.change) }) { return .info }
        return .warning
    }

    private static func octal(_ value: UInt32) -> String {
        var digits = String(value, radix: 8)
        while digits.count < 4 { digits = "0" + digits }
        return digits
    }
}
