import Foundation

extension HubStore {
    /// The database a running hub created is missing: said with its path and the likely cause, instead of SQLite's
    /// "unable to open database file" (error 14).
    struct MissingDatabase: Error, CustomStringConvertible, LocalizedError {
        let path: String
        var description: String {
            "no database at \(path): has `bothub run` started with this config? (it creates the database in hub.state_dir)"
        }
        var errorDescription: String? { description }
    }

    /// Opens the database of a hub that has run, for the commands that read or answer its alerts; never creates one.
    static func openExisting(path: String) throws -> HubStore {
        guard FileManager.default.fileExists(atPath: path) else { throw MissingDatabase(path: path) }
        return try open(path: path)
    }
}
