import Shared

extension ResponsesConfiguration {
    /// What `install-boot` lets the agent's unit keep, read from the `responses:` section of the configuration file
    /// (the rest of the file is not read: a key in `{env:}` need not be set where the unit is installed).
    static func bootGrants(configurationFile path: String) throws -> BootGrants {
        let responses = try load(fromAgentConfiguration: path)
        return BootGrants(powerActions: responses.reboot || responses.shutdown, sessionKills: responses.killSession)
    }
}
