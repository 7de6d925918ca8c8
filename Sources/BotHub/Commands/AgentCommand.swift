import ArgumentParser
import Foundation
import Shared

/// `bothub agent …`: enrollment of agents.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Enroll agents: each gets an id, a /response URL and a fresh 32-byte key.",
        subcommands: [Add.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enroll an agent: generate its key, store it in the hub's state directory, print the agent's config."
        )

        @Argument(help: "The agent id (letters, digits, '.', '_', '-').")
        var name: String

        @Option(help: "The agent's /response base URL, e.g. http://10.0.0.5:7071.")
        var url: String

        @Option(help: "The hub configuration file (its hub.state_dir receives the enrollment).")
        var config: String

        @Option(help: "The hub URL the agent should post alerts to.")
        var hubURL: String = "http://HUB_ADDRESS:7070"

        func validate() throws {
            guard AgentID.isValid(name) else { throw ValidationError("NAME: use 1–64 letters, digits, '.', '_' or '-'") }
            guard HTTPEndpoint(url: url) != nil else { throw ValidationError("--url: not an http://host:port URL") }
        }

        func run() throws {
            let hub: HubConfiguration
            do {
                hub = try HubConfiguration.load(path: config)
            } catch let error as ConfigError {
                throw ValidationError("\(config):\n\(error)")
            }
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
