import Foundation
import GRDB
import Shared

/// The state of the vulnerability feed, for `/status` and `bothub status`.
struct VulnerabilityFeedState: Codable, Sendable, Equatable {
    /// The releases whose advisories are stored.
    var releases: [String]
    var advisories: Int
    /// When the stored advisories last changed (a 200 that parsed).
    var updatedAt: Date?
    /// When the feed was last checked successfully (a 200 or a 304).
    var checkedAt: Date?
    /// Why the last check failed, when it did; the advisories stored before it are still in use.
    var failure: String?
    var failedAt: Date?
    /// The validators of the stored copy, for the next conditional GET.
    var etag: String?
    var lastModified: String?
}

extension HubStore {
    static let trackerFeedName = VulnerabilityFeed.debianTracker.rawValue
    static let knownExploitedFeedName = "cisa-kev"

    /// Kept out of `migrator`'s body so that this folder's tables stay this folder's business.
    static func registerVulnerabilityMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("vulnerabilities-v1") { db in
            let statuses = Advisory.Status.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            for table in ["vulnerabilityAdvisory", "vulnerabilityAdvisoryNext"] {
                try db.execute(
                    sql: """
                        CREATE TABLE \(table) (
                            release TEXT NOT NULL,
                            source TEXT NOT NULL,
                            cve TEXT NOT NULL,
                            status TEXT NOT NULL CHECK (status IN (\(statuses))),
                            fixed TEXT,
                            urgency TEXT NOT NULL,
                            nodsaReason TEXT,
                            scope TEXT,
                            fixPublished BOOLEAN NOT NULL,
                            PRIMARY KEY (release, source, cve)
                        ) WITHOUT ROWID
                        """)
            }
            try db.create(table: "vulnerabilityFeed") { table in
                table.primaryKey("name", .text)
                table.column("state", .text).notNull()
            }
            try db.create(table: "inventory") { table in
                table.primaryKey("agent", .text)
                table.column("release", .text).notNull().indexed()
                table.column("receivedAt", .datetime).notNull()
                /// The inventory as the agent sent it (wire JSON).
                table.column("payload", .text).notNull()
            }
        }
        migrator.registerMigration("vulnerabilities-v2-kev-fleet-upgrades") { db in
            try db.create(table: "knownExploited") { table in
                table.primaryKey("cve", .text)
            }
            try db.create(table: "fleetUpgrade") { table in
                table.primaryKey("shortId", .text)
                /// The hosts and source packages the button upgrades (`FleetUpgradeTarget`, wire JSON).
                table.column("target", .text).notNull()
                table.column("createdAt", .datetime).notNull().indexed()
                /// The simulated plans awaiting the second tap (`FleetUpgradePlans`), who asked, until when.
                table.column("pending", .text)
                table.column("userId", .integer)
                table.column("expiresAt", .datetime)
            }
        }
        migrator.registerMigration("vulnerabilities-v3-feeds-scores") { db in
            // Which feed a row came from (a refresh replaces its own feed's rows only), and the CVSS base score of
            // feeds that carry vectors (Ubuntu's OSV records).
            for table in ["vulnerabilityAdvisory", "vulnerabilityAdvisoryNext"] {
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN feed TEXT NOT NULL DEFAULT '\(VulnerabilityFeed.debianTracker.rawValue)'")
                try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN score REAL")
            }
        }
        migrator.registerMigration("vulnerabilities-v4-fleet-upgrade-runs") { db in
            // One row per confirmed fleet upgrade: the message it edits and the words of its header. Not tied to the
            // `fleetUpgrade` button row, which is pruned on its own schedule while an upgrade may still be running.
            try db.create(table: "fleetUpgradeRun") { table in
                table.primaryKey("id", .text)
                table.column("chatId", .integer)
                table.column("messageId", .integer)
                table.column("label", .text).notNull()
                table.column("chosenBy", .text).notNull()
                table.column("chosenAt", .datetime).notNull().indexed()
                /// Bumped by every change to a host's state, so an editor can tell it showed a stale copy.
                table.column("revision", .integer).notNull().defaults(to: 0)
            }
            let states = FleetUpgradeRun.HostState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(
                sql: """
                    CREATE TABLE fleetUpgradeHost (
                        commandId TEXT PRIMARY KEY NOT NULL,
                        runId TEXT NOT NULL REFERENCES fleetUpgradeRun(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        agent TEXT NOT NULL,
                        command TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN (\(states))),
                        answer TEXT,
                        endLine TEXT
                    );
                    CREATE INDEX fleetUpgradeHost_on_runId ON fleetUpgradeHost(runId);
                    CREATE INDEX fleetUpgradeHost_on_state ON fleetUpgradeHost(state);
                    """)
        }
    }

    // MARK: - Feed

    func vulnerabilityFeedState(name: String = trackerFeedName) throws -> VulnerabilityFeedState? {
        try writer.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT state FROM vulnerabilityFeed WHERE name = ?", arguments: [name])
            else { return nil }
            return try WireCoding.decode(VulnerabilityFeedState.self, from: Array(text.utf8))
        }
    }

    func saveVulnerabilityFeedState(_ state: VulnerabilityFeedState, name: String = trackerFeedName) throws {
        try writer.write { db in try Self.write(state, name: name, in: db) }
    }

    private static func write(_ state: VulnerabilityFeedState, name: String = trackerFeedName, in db: Database) throws {
        let text = String(decoding: try WireCoding.encode(state), as: UTF8.self)
        try db.execute(
            sql: "INSERT INTO vulnerabilityFeed (name, state) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET state = excluded.state",
            arguments: [name, text])
    }

    /// Replaces the known-exploited CVEs and saves the KEV feed's state, in one transaction.
    func replaceKnownExploited(_ cves: Set<String>, state: VulnerabilityFeedState) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM knownExploited")
            let statement = try db.makeStatement(sql: "INSERT OR IGNORE INTO knownExploited (cve) VALUES (?)")
            for cve in cves { try statement.execute(arguments: [cve]) }
            var state = state
            state.advisories = cves.count
            try Self.write(state, name: Self.knownExploitedFeedName, in: db)
        }
    }

    /// The CVEs CISA lists as exploited in the wild (empty when the KEV feed is not configured).
    func knownExploited() throws -> Set<String> {
        try writer.read { db in Set(try String.fetchAll(db, sql: "SELECT cve FROM knownExploited")) }
    }

    /// Adds `feed`'s advisories to the staging table (cleared by `clearStagedAdvisories`), in one short transaction
    /// per batch so that a refresh never holds the write lock for the whole parse.
    func stageAdvisories(_ entries: [FeedEntry], feed: VulnerabilityFeed = .debianTracker) throws {
        try writer.write { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT OR REPLACE INTO vulnerabilityAdvisoryNext
                        (release, source, cve, status, fixed, urgency, nodsaReason, scope, fixPublished, feed, score)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for entry in entries {
                for advisory in entry.advisories {
                    try statement.execute(arguments: [
                        entry.release, entry.source, advisory.cve, advisory.status.rawValue, advisory.fixed, advisory.urgency, advisory.nodsaReason,
                        advisory.scope, advisory.fixPublished, feed.rawValue, advisory.score,
                    ])
                }
            }
        }
    }

    func clearStagedAdvisories(feed: VulnerabilityFeed = .debianTracker) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM vulnerabilityAdvisoryNext WHERE feed = ?", arguments: [feed.rawValue]) }
    }

    /// Replaces the stored advisories of `feed` with the staged ones, and saves `state` as the feed's, in one
    /// transaction: readers see the old feed or the new one, never a mix, and the other feeds' rows stay as they are.
    /// Returns the number of advisories the feed now has stored.
    func promoteStagedAdvisories(_ state: VulnerabilityFeedState, feed: VulnerabilityFeed = .debianTracker) throws -> Int {
        try writer.write { db in
            let columns = "release, source, cve, status, fixed, urgency, nodsaReason, scope, fixPublished, feed, score"
            try db.execute(sql: "DELETE FROM vulnerabilityAdvisory WHERE feed = ?", arguments: [feed.rawValue])
            try db.execute(
                sql: "INSERT INTO vulnerabilityAdvisory (\(columns)) SELECT \(columns) FROM vulnerabilityAdvisoryNext WHERE feed = ?",
                arguments: [feed.rawValue])
            try db.execute(sql: "DELETE FROM vulnerabilityAdvisoryNext WHERE feed = ?", arguments: [feed.rawValue])
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vulnerabilityAdvisory WHERE feed = ?", arguments: [feed.rawValue]) ?? 0
            var state = state
            state.advisories = count
            try Self.write(state, name: feed.rawValue, in: db)
            return count
        }
    }

    /// Reads the tracker feed at `path` as a stream and replaces the stored advisories with its rows for `releases`.
    func replaceAdvisories(feedPath path: String, releases: Set<String>, state: VulnerabilityFeedState, batchSize: Int = 2_000) throws -> Int {
        try replaceAdvisories(feed: .debianTracker, state: state, batchSize: batchSize) { body in
            try TrackerFeedReader(releases: releases).read(path: path, body)
        }
    }

    /// Replaces `feed`'s stored advisories with what `read` hands out, staged in batches of `batchSize` and promoted at
    /// the end in one transaction; a read that fails leaves the stored advisories untouched. Returns the number of
    /// advisories now stored for the feed.
    func replaceAdvisories(
        feed: VulnerabilityFeed, state: VulnerabilityFeedState, batchSize: Int = 2_000,
        read: (_ body: (FeedEntry) throws -> Void) throws -> Void
    ) throws -> Int {
        try clearStagedAdvisories(feed: feed)
        do {
            var batch: [FeedEntry] = []
            var staged = 0
            try read { entry in
                batch.append(entry)
                staged += entry.advisories.count
                if staged >= batchSize {
                    try stageAdvisories(batch, feed: feed)
                    batch.removeAll(keepingCapacity: true)
                    staged = 0
                }
            }
            try stageAdvisories(batch, feed: feed)
            return try promoteStagedAdvisories(state, feed: feed)
        } catch {
            // The staged rows of a failed parse would otherwise sit in the file until the next refresh.
            try clearStagedAdvisories(feed: feed)
            throw error
        }
    }

    /// The stored advisories of `release` that can make one of the given source packages vulnerable, by source: one
    /// statement per release, the names passed as one JSON array (`json_each`) and looked up through the primary key
    /// (release, source, cve), so a 3,000-package inventory reads only its own rows without scanning the release or
    /// preparing a statement per batch.
    ///
    /// Rows that `VulnerabilityMatcher` calls "not affected" whatever the installed version are left in SQLite
    /// (`matchableCondition`): about two in five of the tracker's rows, and each row read costs more than the rule.
    ///
    /// `matchableOnly: false` reads every row (the benchmark's baseline for the condition).
    func advisories(release: String, sources: Set<String>, matchableOnly: Bool = true) throws -> [String: [Advisory]] {
        let names = String(decoding: try JSONEncoder().encode(sources.sorted()), as: UTF8.self)
        return try writer.read { db in
            var result: [String: [Advisory]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT source, cve, status, fixed, urgency, nodsaReason, scope, fixPublished, score FROM vulnerabilityAdvisory
                    WHERE release = ? AND source IN (SELECT value FROM json_each(?)) AND \(matchableOnly ? Self.matchableCondition : "1")
                    """,
                arguments: [release, names])
            // Columns by position: a name lookup per column per row is most of the read's cost in a debug build.
            while let row = try rows.next() {
                let source: String = row[0]
                let statusText: String = row[2]
                // The CHECK constraint admits only the three statuses.
                guard let status = Advisory.Status(rawValue: statusText) else { continue }
                result[source, default: []].append(
                    Advisory(
                        cve: row[1], status: status, fixed: row[3], urgency: row[4], nodsaReason: row[5], scope: row[6], fixPublished: row[7],
                        score: row[8]))
            }
            return result
        }
    }

    /// The SQL form of the matcher's version-independent "not affected" rules, negated: `undetermined`, `resolved`
    /// without a fixed version or with `0`, and `open` marked `ignored` are never reported.
    static let matchableCondition = """
        ((status = 'resolved' AND fixed IS NOT NULL AND fixed != '0') OR (status = 'open' AND nodsaReason IS NOT 'ignored'))
        """

    // MARK: - Inventory

    /// Stores an agent's inventory, replacing its previous one.
    func saveInventory(_ inventory: PackageInventory, receivedAt: Date) async throws {
        let payload = String(decoding: try WireCoding.encode(inventory), as: UTF8.self)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO inventory (agent, release, receivedAt, payload) VALUES (?, ?, ?, ?)
                    ON CONFLICT(agent) DO UPDATE SET release = excluded.release, receivedAt = excluded.receivedAt, payload = excluded.payload
                    """,
                arguments: [inventory.agent, inventory.release, receivedAt, payload])
        }
    }

    /// Every stored inventory, by agent id.
    func inventories() throws -> [PackageInventory] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM inventory ORDER BY agent").map { payload in
                try WireCoding.decode(PackageInventory.self, from: Array(payload.utf8))
            }
        }
    }

    /// The releases present in the fleet's Debian hosts: the ones whose advisories the tracker refresh keeps (an Ubuntu
    /// codename would only be looked for in vain in Debian's tracker, and named in its state as if covered).
    func fleetReleases() throws -> Set<String> {
        Set(try fleetFeedReleases().filter { $0.release.feed == .debianTracker }.map(\.release.key))
    }

    /// The Ubuntu releases present in the fleet, by their key (`ubuntu/noble`), with the `VERSION_ID` their OSV
    /// ecosystem is named by (`24.04`).
    func fleetUbuntuReleases() throws -> [String: String] {
        var versions: [String: String] = [:]
        for (release, version) in try fleetFeedReleases() where release.feed == .ubuntuOSV {
            versions[release.key] = version
        }
        return versions
    }

    /// Every (feed, release key) the fleet's inventories are matched under, with the `VERSION_ID` the agent sent;
    /// read from SQLite without decoding the inventories.
    private func fleetFeedReleases() throws -> [(release: FeedRelease, versionId: String?)] {
        try writer.read { db in
            var releases: [(release: FeedRelease, versionId: String?)] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT DISTINCT json_extract(payload, '$.distribution'), release, json_extract(payload, '$.version_id') FROM inventory
                    ORDER BY 1, 2, 3
                    """)
            while let row = try rows.next() {
                let versionId: String? = row[2]
                guard let release = FeedRelease(distribution: row[0] ?? "", release: row[1], versionId: versionId) else { continue }
                releases.append((release, versionId))
            }
            return releases
        }
    }
}
