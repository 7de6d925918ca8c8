/// What a feed (the Debian security tracker, Ubuntu's OSV records) says about one CVE in one source package in one
/// release: the row the hub keeps per `(release, source, cve)` and the matcher reads.
struct Advisory: Sendable, Equatable {
    /// The tracker's `status` for the release.
    enum Status: String, Sendable, Codable, CaseIterable {
        /// Fixed (or never affected, when the fixed version is `0`).
        case resolved
        /// Affected, no fixed version yet.
        case open
        /// Not yet known whether the release is affected: not reported (the tracker itself has no answer).
        case undetermined
    }

    var cve: String
    var status: Status
    /// `fixed_version`: `0` means the release was never affected.
    var fixed: String?
    /// Debian's urgency with the tracker's `**` (set by a machine, not yet reviewed) stripped: `low`, `medium`, `high`,
    /// `unimportant`, `not yet assigned`, `end-of-life`.
    var urgency: String
    /// `nodsa_reason`: `ignored` marks an issue the security team decided not to fix (hidden when open), `postponed` one
    /// fixed in a later point release.
    var nodsaReason: String?
    /// `local` or `remote` when the tracker knows.
    var scope: String?
    /// Whether the release's repositories (`repositories` in the tracker: the suite and its `-security` suite) already
    /// carry a version at or above the fixed one, i.e. whether `apt-get upgrade` can install the fix today.
    var fixPublished: Bool
    /// The CVSS 3.x base score of the feed's vector; nil where the feed has none (the Debian tracker never does).
    var score: Double? = nil

    /// The tracker marks an urgency that a script assigned, not yet checked by a person, with a `**` suffix; it ranks
    /// the same.
    static func urgency(_ text: String?) -> String {
        guard var text, !text.isEmpty else { return "not yet assigned" }
        while text.hasSuffix("*") { text.removeLast() }
        return text
    }
}
