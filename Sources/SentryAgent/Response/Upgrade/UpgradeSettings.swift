import Shared

/// How the agent runs apt for `upgrade_packages`: where apt and the state are, and the seams tests use to point apt at a
/// private repository and a throw-away dpkg root so the host's packages are never touched.
struct UpgradeSettings: Sendable {
    /// How the upgrade process is started.
    enum Launch: Sendable, Equatable {
        /// `systemd-run` when systemd is PID 1 (outside the agent's sandbox, and not killed with the agent), else a process.
        case automatic
        /// A transient unit `vigil-upgrade-<command id>`.
        case transientUnit
        /// A direct child whose output goes to a file in the state directory (cron mode, tests).
        case process
    }

    var aptGet = "/usr/bin/apt-get"
    var systemdRun = "/usr/bin/systemd-run"
    var systemctl = "/usr/bin/systemctl"
    /// `Name=value` items, each handed to apt as `-o Name=value` (`responses.apt_options`).
    var aptOptions: [String] = []
    /// Extra environment for every apt run (tests: `APT_CONFIG` naming a file that empties `Dir::Etc::Parts`).
    var environment: [String: String] = [:]
    /// `-o Dpkg::Lock::Timeout`: how long apt waits for another package manager to finish.
    var lockTimeoutSeconds = 120
    /// Where in-flight upgrades are recorded (`<state>/upgrades`): an upgrade that ends while the agent is down is
    /// reported when it starts again.
    var directory: String
    var launch: Launch = .automatic
    /// The tree dpkg installs into (`/`; a throw-away root in tests): file lists are relative to it.
    var installRoot = ""
    /// `/var/run/reboot-required` (injectable for tests).
    var rebootRequiredPath = "/var/run/reboot-required"
    /// `needrestart`, used for the restart follow-up when installed.
    var needrestart = "/usr/sbin/needrestart"
    /// Where `/proc` is read for processes still mapping replaced files.
    var proc = ProcFileSystem()

    /// The dpkg status file apt reads: `Dir::State::status` from the options, else the system's.
    var statusPath: String {
        for option in aptOptions where option.lowercased().hasPrefix("dir::state::status=") {
            return String(option.dropFirst("dir::state::status=".count))
        }
        return "/var/lib/dpkg/status"
    }

    /// dpkg's admin directory (file lists in `info/`): the status file's directory.
    var adminDirectory: String {
        let path = statusPath
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    /// The options as apt arguments.
    var aptArguments: [String] { aptOptions.flatMap { ["-o", $0] } }

    /// The environment of every apt run: no prompts, needrestart quiet (the agent asks it itself afterwards).
    var aptEnvironment: [String: String] {
        ["DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_SUSPEND": "1", "NEEDRESTART_MODE": "l"].merging(environment) { $1 }
    }
}

extension UpgradeSettings {
    /// The settings of a running agent: the `responses:` apt options and lock timeout, the ledger in the state directory.
    static func make(_ responses: ResponsesConfiguration, stateDirectory: String) -> UpgradeSettings {
        var settings = UpgradeSettings(directory: stateDirectory + "/upgrades")
        settings.aptOptions = responses.aptOptions
        settings.lockTimeoutSeconds = Int(responses.dpkgLockTimeout.components.seconds)
        return settings
    }
}
