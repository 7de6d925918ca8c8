import Foundation
import GRDB
import Shared

extension HubStore {
    /// Records a confirmed fleet upgrade with every host's command in state `sent`, before any is sent; runs older
    /// than `keep` are dropped (an upgrade's end arrives within minutes, not days).
    func recordFleetUpgradeRun(_ run: FleetUpgradeRun, now: Date, keep: TimeInterval = 7 * 86_400) throws {
        let commands = try run.hosts.map { String(decoding: try WireCoding.encode($0.command), as: UTF8.self) }
        try writer.write { db in
            try db.execute(sql: "DELETE FROM fleetUpgradeRun WHERE chosenAt < ?", arguments: [now.addingTimeInterval(-keep)])
            try db.execute(
                sql: "INSERT INTO fleetUpgradeRun (id, chatId, messageId, label, chosenBy, chosenAt, revision) VALUES (?, ?, ?, ?, ?, ?, 0)",
                arguments: [run.id, run.chatID, run.messageID, run.label, run.chosenBy, run.chosenAt])
            for (position, host) in run.hosts.enumerated() {
                try db.execute(
                    sql: "INSERT INTO fleetUpgradeHost (commandId, runId, position, agent, command, state) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        host.command.id.uuidString, run.id, position, host.agent, commands[position], FleetUpgradeRun.HostState.sent,
                    ])
            }
        }
    }

    /// Records a host's immediate answer. A host whose end already arrived keeps it (the end is the later news).
    func recordFleetUpgradeAnswer(commandID: UUID, answer: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "UPDATE fleetUpgradeHost SET state = ?, answer = ? WHERE commandId = ? AND state = ?",
                arguments: [FleetUpgradeRun.HostState.answered, answer, commandID.uuidString, FleetUpgradeRun.HostState.sent])
            if db.changesCount > 0 { try Self.bumpRevision(ofRunWithCommand: commandID, in: db) }
        }
    }

    /// Records how a host's upgrade ended and returns its run as it now stands, in one transaction: two hosts ending
    /// at once each see the other's end or not, never lose it. Nil when no run in `chatID` sent `commandID` to
    /// `agent` (another agent cannot rewrite a host's line, even knowing its command id).
    func recordFleetUpgradeEnd(commandID: UUID, agent: String, chatID: Int64, endLine: String) throws -> FleetUpgradeRun? {
        try writer.write { db in
            guard
                let runID = try String.fetchOne(
                    db,
                    sql: """
                        SELECT run.id FROM fleetUpgradeHost host JOIN fleetUpgradeRun run ON run.id = host.runId
                        WHERE host.commandId = ? AND host.agent = ? AND run.chatId = ?
                        """, arguments: [commandID.uuidString, agent, chatID])
            else { return nil }
            try db.execute(
                sql: "UPDATE fleetUpgradeHost SET state = ?, endLine = ? WHERE commandId = ?",
                arguments: [FleetUpgradeRun.HostState.ended, endLine, commandID.uuidString])
            try Self.bumpRevision(ofRunWithCommand: commandID, in: db)
            return try Self.fleetUpgradeRun(id: runID, in: db)
        }
    }

    func fleetUpgradeRun(id: String) throws -> FleetUpgradeRun? {
        try writer.read { db in try Self.fleetUpgradeRun(id: id, in: db) }
    }

    /// The runs chosen before `before` with a host whose answer was never recorded: a previous run of the hub was
    /// stopped while it dispatched them. (`before` keeps out a confirm this run is dispatching right now.)
    func interruptedFleetUpgradeRuns(chosenBefore before: Date) throws -> [FleetUpgradeRun] {
        try writer.read { db in
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT run.id FROM fleetUpgradeRun run JOIN fleetUpgradeHost host ON host.runId = run.id
                    WHERE host.state = ? AND run.chosenAt < ? ORDER BY run.chosenAt
                    """, arguments: [FleetUpgradeRun.HostState.sent, before])
            return try ids.compactMap { try Self.fleetUpgradeRun(id: $0, in: db) }
        }
    }

    private static func bumpRevision(ofRunWithCommand commandID: UUID, in db: Database) throws {
        try db.execute(
            sql: "UPDATE fleetUpgradeRun SET revision = revision + 1 WHERE id = (SELECT runId FROM fleetUpgradeHost WHERE commandId = ?)",
            arguments: [commandID.uuidString])
    }

    private static func fleetUpgradeRun(id: String, in db: Database) throws -> FleetUpgradeRun? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT chatId, messageId, label, chosenBy, chosenAt, revision FROM fleetUpgradeRun WHERE id = ?", arguments: [id])
        else { return nil }
        let hosts = try Row.fetchAll(
            db, sql: "SELECT agent, command, state, answer, endLine FROM fleetUpgradeHost WHERE runId = ? ORDER BY position", arguments: [id]
        ).map { host in
            let command: String = host["command"]
            return FleetUpgradeRun.Host(
                agent: host["agent"], command: try WireCoding.decode(ResponseCommand.self, from: Array(command.utf8)), state: host["state"],
                answer: host["answer"], endLine: host["endLine"])
        }
        return FleetUpgradeRun(
            id: id, chatID: row["chatId"], messageID: row["messageId"], label: row["label"], chosenBy: row["chosenBy"], chosenAt: row["chosenAt"],
            revision: row["revision"], hosts: hosts)
    }
}
