import Logging
import Shared

/// What can only be checked with the configuration, the catalogs and the enrolled agents together: shared by
/// `check-config` (which reports everything and fails) and `run` (which refuses the same configuration problems and
/// logs each rejected enrollment at start).
struct HubSetupCheck {
    let configuration: HubConfiguration
    let catalogs: MessageCatalogs

    /// What the enrollment file holds, for `check-config` and the start log.
    struct EnrollmentFindings {
        var usable: Int
        var rejected: [AgentEnrollmentFile.RejectedEntry]
        /// Enrolled ids also declared in the config file's `agents:` (the config file's entry wins).
        var shadowed: [String]
    }

    /// Languages without a catalog: such a chat would silently get English.
    func configurationProblems() -> [ConfigProblem] {
        let languages = catalogs.languages
        let have = "catalogs: \(languages.joined(separator: ", "))"
        var problems: [ConfigProblem] = []
        if !languages.contains(configuration.language) {
            problems.append(ConfigProblem(field: "hub.language", reason: "no bot.\(configuration.language).yml catalog (\(have))"))
        }
        for (index, chat) in configuration.telegram.chats.enumerated() {
            if let language = chat.language, !languages.contains(language) {
                problems.append(ConfigProblem(field: "telegram.chats[\(index)].language", reason: "no bot.\(language).yml catalog (\(have))"))
            }
        }
        return problems
    }

    /// Reads `agents.yml`; throws when it cannot be read or parsed as a whole.
    func enrollment() throws -> EnrollmentFindings {
        let contents = try AgentEnrollmentFile(stateDirectory: configuration.stateDirectory).load()
        let configured = Set(configuration.agents.map(\.id))
        return EnrollmentFindings(
            usable: contents.entries.count,
            rejected: contents.rejected,
            shadowed: contents.entries.map(\.id).filter(configured.contains)
        )
    }

    /// The enrollment findings as problems, for `check-config`.
    func enrollmentProblems() -> [ConfigProblem] {
        do {
            let findings = try enrollment()
            return findings.rejected.map { ConfigProblem(field: "agents.yml", reason: "\($0)") }
                + findings.shadowed.map {
                    ConfigProblem(
                        field: "agents.yml",
                        reason: "agent \($0) is both enrolled and in the config file's agents: (remove one; the config file wins)")
                }
        } catch let error as ConfigError {
            return error.problems
        } catch {
            return [ConfigProblem(field: "agents.yml", reason: "\(error)")]
        }
    }

    /// Logs each rejected or shadowed enrolled agent at start; throws when the file is unusable as a whole.
    func logEnrollment(logger: Logger) throws {
        let findings = try enrollment()
        for rejected in findings.rejected {
            logger.error("enrolled agent rejected; it cannot deliver alerts until fixed", metadata: ["entry": "\(rejected)"])
        }
        for id in findings.shadowed {
            logger.warning("agent is both enrolled and in the config file; the config file's key and URL are used", metadata: ["agent": "\(id)"])
        }
    }
}
