import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// sshd's effective configuration as `sshd -T -f <sshd_config>` prints it: every keyword lowercased with its value,
/// after includes, drop-ins and defaults. Compared before and after a change to sshd_config or `sshd_config.d/*`, it
/// says what sshd would now do, which the file's own lines cannot (a drop-in read first wins; a removed line falls
/// back to a default).
struct SSHDEffectiveConfiguration: Sendable, Equatable {
    /// Keyword → value; a keyword printed on several lines (`listenaddress`, `hostkey`) has its values joined by `, `.
    var settings: [String: String]

    init(settings: [String: String]) {
        self.settings = settings
    }

    /// Parses `sshd -T` output.
    init(output: [UInt8]) {
        var settings: [String: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let key = parts.first, !key.isEmpty else { continue }
            let value = parts.count == 2 ? String(parts[1]) : ""
            let name = key.lowercased()
            settings[name] = settings[name].map { $0 + ", " + value } ?? value
        }
        self.settings = settings
    }

    /// The keywords whose effective value changed, in words (`sshd passwordauthentication: no → yes`).
    static func facts(before: SSHDEffectiveConfiguration, after: SSHDEffectiveConfiguration) -> [IdentityFact] {
        Set(before.settings.keys).union(after.settings.keys).sorted().compactMap { key in
            let old = before.settings[key]
            let new = after.settings[key]
            guard old != new else { return nil }
            return IdentityDiff.sshdFact(key: key, old: old ?? "(unset)", new: new ?? "(unset)")
        }
    }
}

/// sshd's effective configuration before and after a change to one of its files.
struct SSHDEffectiveChange: Sendable, Equatable {
    var before: SSHDEffectiveConfiguration
    var after: SSHDEffectiveConfiguration

    /// The keywords that changed; when none did, one fact saying so (the file changed, sshd would not behave otherwise).
    var facts: [IdentityFact] {
        let changed = SSHDEffectiveConfiguration.facts(before: before, after: after)
        guard changed.isEmpty else { return changed }
        return [IdentityFact(change: "sshd_effective_unchanged", detail: "content changed; sshd's effective configuration (sshd -T) is the same")]
    }
}

/// Runs `sshd -T -f <config>` on the identity thread (argv only; it needs root to read the host keys, not a running
/// daemon) and waits at most `timeout` for it.
struct SSHDEffectiveReader: Sendable {
    /// The sshd binary.
    let sshd: String
    /// The sshd_config to test, as this host reads it (under the watch's `root`).
    let configPath: String
    var timeout: Duration = .seconds(5)

    /// The reader for `root`'s sshd_config, or nil when no sshd is installed.
    static func make(root: String) -> SSHDEffectiveReader? {
        let candidates: [String] = ["/usr/sbin/sshd", "/usr/bin/sshd"]
        guard let sshd = candidates.first(where: { access($0, X_OK) == 0 }) else { return nil }
        let prefix = root == "/" ? "" : root
        return SSHDEffectiveReader(sshd: sshd, configPath: prefix + "/etc/ssh/sshd_config")
    }

    /// sshd's effective configuration now, or why it could not be read (sshd refuses a broken configuration).
    func read() -> Result<[UInt8], SSHDReadError> {
        let child: ChildProcess
        do {
            child = try ChildProcess(argv: [sshd, "-T", "-f", configPath])
        } catch {
            return .failure(SSHDReadError(description: error.description))
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            var entry = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
            guard left > .zero, poll(&entry, 1, left.pollMilliseconds) > 0 else {
                child.terminate(grace: .milliseconds(200))
                return .failure(SSHDReadError(description: "sshd -T did not finish within \(timeout)"))
            }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(child.output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            output += buffer[0..<count]
            guard output.count <= 1 << 20 else {
                child.terminate(grace: .milliseconds(200))
                return .failure(SSHDReadError(description: "sshd -T printed more than 1 MiB"))
            }
        }
        let status = child.waitForExit()
        guard status == 0 else { return .failure(SSHDReadError(description: "sshd -T -f \(configPath) exited with status \(status)")) }
        return .success(output)
    }
}

/// Why `sshd -T` gave no configuration.
struct SSHDReadError: Error, CustomStringConvertible {
    let description: String
}
