import ArgumentParser
import Foundation
import Shared

/// `bothub agent …`: enrollment of agents.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Enroll agents: each gets an id, a /response URL and a fresh 32-byte key.",
        subcommands: [Add.self, List.self, Remove.self, RotateKey.self]
    )

    /// Loads the hub configuration named by `--config`, turning its problems into a usage error.
    static func hub(_ config: String) throws -> HubConfiguration {
        do {
            return try HubConfiguration.load(path: config)
        } catch let error as ConfigError {
            throw ValidationError("\(config):\n\(error)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agents (from the config file and enrolled) with their /response URL.")

        @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub configuration file")))
        var config: String = ConfigFileLocation.hub

        func run() throws {
            let hub = try AgentCommand.hub(config)
            for agent in hub.agents { print("\(agent.id)\t\(agent.responseEndpoint)\tconfig file") }
            let contents: AgentEnrollmentFile.Contents
            do {
                contents = try AgentEnrollmentFile(stateDirectory: hub.stateDirectory).load()
            } catch let error as ConfigError {
                print("enrolled agents unreadable: \(error)")
                throw ExitCode.failure
            }
            let now = Date()
            for entry in contents.entries {
                guard let agent = entry.configurationEntry else { continue }
                print("\(agent.id)\t\(agent.responseEndpoint)\tenrolled\(Self.rotations(agent, now: now))")
            }
            for rejected in contents.rejected { print("\(rejected.id ?? "?")\t-\tREJECTED: \(rejected)") }
            if !contents.rejected.isEmpty { throw ExitCode.failure }
        }

        /// "rotation in progress: 1 old key valid until …" for each retired key still in its grace.
        static func rotations(_ agent: HubConfiguration.AgentEntry, now: Date) -> String {
            let live = agent.retiredKeys.filter { now < $0.validUntil }.sorted { $0.validUntil < $1.validUntil }
            guard !live.isEmpty else { return "" }
            let ends = live.map { MessageTime.format($0.validUntil) }.joined(separator: ", ")
            return "\trotation in progress: \(live.count) old key\(live.count == 1 ? "" : "s") still valid, until \(ends)"
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an enrolled agent: its key stops working at once.")

        @Argument(help: "The agent id.")
        var name: String

        @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub configuration file")))
        var config: String = ConfigFileLocation.hub

        func run() throws {
            try AgentEnrollmentFile(stateDirectory: try AgentCommand.hub(config).stateDirectory).remove(name)
            print("removed \(name)")
        }
    }

    struct RotateKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Give an agent a new key; the old one stays valid for the grace period so no alert is lost. Prints the new key line."
        )

        @Argument(help: "The agent id.")
        var name: String

        @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub configuration file")))
        var config: String = ConfigFileLocation.hub

        @Option(help: "How long the old key stays valid, e.g. 1h, 24h (earlier rotations keep their own end).")
        var grace: String = "24h"

        @Flag(help: "Allow --grace 0s: the old key stops working at once, cutting off the agent until it has the new key.")
        var force = false

        func validate() throws {
            guard let duration = DurationText.parse(grace) else { throw ValidationError("--grace: expected a duration like 1h or 24h") }
            guard duration > .zero || force else {
                throw ValidationError("--grace 0s cuts the running agent off at once; add --force if that is what you want (a compromised key)")
            }
        }

        func run() throws {
            let key = AgentKey.generate()
            let seconds = TimeInterval(DurationText.parse(grace)?.components.seconds ?? 86_400)
            try AgentEnrollmentFile(stateDirectory: try AgentCommand.hub(config).stateDirectory).rotateKey(
                name, newKey: key, grace: seconds, now: Date())
            print("# New key for \(name); put it in the agent's hub.key and restart the agent within \(grace).")
            print("  key: \"\(key.base64)\"")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enroll an agent: generate its key, store it in the hub's state directory, print the agent's config."
        )

        @Argument(help: "The agent id (letters, digits, '.', '_', '-').")
        var name: String

        @Option(help: "The agent's /response base URL, e.g. http://10.0.0.5:7071.")
        var url: String

        @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub configuration file (its hub.state_dir receives the enrollment)")))
        var config: String = ConfigFileLocation.hub

        @Option(help: "The hub URL the agent should post alerts to.")
        var hubURL: String = "http://HUB_ADDRESS:7070"

        func validate() throws {
            guard AgentID.isValid(name) else { throw ValidationError("NAME: use 1–64 letters, digits, '.', '_' or '-'") }
            guard HTTPEndpoint(url: url) != nil else { throw ValidationError("--url: not an http://host:port URL") }
        }

        func run() throws {
            let hub = try AgentCommand.hub(config)
            let key = AgentKey.generate()
            try AgentEnrollmentFile(stateDirectory: hub.stateDirectory).add(.init(id: name, url: url, key: key.base64))
            print(
                """
                # agent.yml for \(name): copy to the agent (mode 0600), then run `sentry-agent check-config`.
                agent:
                  id: \(name)
                hub:
                  url: \(hubURL)
                  key: "\(key.base64)"
                listen:
                  port: \(HTTPEndpoint(url: url)?.port ?? 7071)
                """
            )
        }
    }
}
