import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// What the agent says at start about its detectors: `detectors: ssh (journald), http404 (/var/log/nginx/access.log), cpu`.
enum DetectorInputs {
    /// The start line; `sshJournal`/`sshPaths` are the SSH plan actually followed (auto may have fallen back).
    static func startLine(_ detectors: DetectorsConfiguration, sshJournal: Bool, sshPaths: [String]) -> String {
        var parts: [String] = []
        if detectors.ssh.isActive {
            parts.append("ssh (\(sshJournal ? "journald" : sshPaths.joined(separator: ", ")))")
        }
        if detectors.http404.enabled, !detectors.http404.paths.isEmpty {
            parts.append("http404 (\(detectors.http404.paths.joined(separator: ", ")))")
        }
        if detectors.cpu.enabled { parts.append("cpu") }
        if detectors.listeners.enabled { parts.append("listeners") }
        if detectors.identity.enabled { parts.append("identity") }
        return "detectors: " + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
    }
}

/// Tracks which configured log files exist but cannot be read (EACCES after a `chmod` or a logrotate `create` with
/// the wrong owner), so each is warned about once when it becomes unreadable rather than never (a follower just waits
/// for a file it cannot open) or on every poll.
struct UnreadableInputs {
    enum Change: Equatable {
        case unreadable(path: String, reason: String)
        case readable(path: String)
    }

    private var unreadable: Set<String> = []

    /// The changes since the last check. `probe` answers nil for a readable or missing file (a missing file is
    /// waited for, not an error), else the reason it cannot be opened.
    mutating func check(_ paths: [String], probe: (String) -> String?) -> [Change] {
        var changes: [Change] = []
        for path in paths {
            if let reason = probe(path) {
                if unreadable.insert(path).inserted { changes.append(.unreadable(path: path, reason: reason)) }
            } else if unreadable.remove(path) != nil {
                changes.append(.readable(path: path))
            }
        }
        return changes
    }

    /// Opens `path` for reading the way a follower would: nil if that works or the file does not exist yet.
    static func probe(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor >= 0 {
            close(descriptor)
            return nil
        }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return nil }
        return String(cString: strerror(code))
    }
}
