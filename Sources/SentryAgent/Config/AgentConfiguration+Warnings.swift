import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

extension AgentConfiguration {
    /// What `check-config` warns about in a usable configuration: inputs that do not exist (yet) and a state
    /// directory that cannot be created. The agent still starts (a log file may appear later), so these are not errors.
    public func warnings(exists: (String) -> Bool = { access($0, F_OK) == 0 }) -> [ConfigProblem] {
        var warnings: [ConfigProblem] = []
        let ssh = detectors.ssh
        if ssh.isActive, ssh.source == .file || (ssh.source == .auto && ssh.pathsAreExplicit) {
            for path in ssh.paths where !exists(path) {
                warnings.append(
                    ConfigProblem(field: "detectors.ssh.paths", reason: "\(path) does not exist; the detector waits for it to appear"))
            }
        }
        if detectors.http404.enabled {
            for path in detectors.http404.paths where !exists(path) {
                warnings.append(
                    ConfigProblem(field: "detectors.http404.paths", reason: "\(path) does not exist; the detector waits for it to appear"))
            }
        }
        if let problem = StateDirectoryCheck.problem(stateDirectory) {
            warnings.append(ConfigProblem(field: "agent.state_dir", reason: problem))
        }
        return warnings
    }
}
