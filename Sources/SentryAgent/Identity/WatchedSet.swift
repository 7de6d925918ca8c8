import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The files the identity detector watches: the built-in set of `README.md` "Identity and persistence", the
/// operator's extra paths, minus exclusions; expanded against the host (systemd's subdirectories, each user's
/// `authorized_keys` directory, the PAM module directory) by `expand()`, again whenever accounts or directories change.
struct WatchedSet: Sendable {
    /// Prefix every host path is read under; empty for `/`.
    let root: String
    let rules: [WatchedDirectory]
    let exclude: [String]
    /// `AuthorizedKeysFile` patterns (`sshd -T`): `%h`, `%u`, `%%`, relative to the home directory when not absolute.
    let authorizedKeysPatterns: [String]
    /// The directories to watch now, by host path.
    private(set) var directories: [String: WatchedDirectory] = [:]
    /// Home directories of uid 0 accounts: a key added there is critical.
    private(set) var rootHomes: Set<String> = []

    static let defaultAuthorizedKeysPatterns = [".ssh/authorized_keys", ".ssh/authorized_keys2"]

    init(root: String, extraPaths: [String] = [], exclude: [String] = [], authorizedKeysPatterns: [String] = Self.defaultAuthorizedKeysPatterns) {
        self.root = root == "/" ? "" : (root.hasSuffix("/") ? String(root.dropLast()) : root)
        var rules = Self.builtIn
        for path in extraPaths {
            var info = stat()
            if stat(self.root + path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                rules.append(WatchedDirectory(path: path, everything: .other))
            } else {
                rules.append(WatchedDirectory(path: FileSystemPath.directory(of: path), names: [FileSystemPath.lastComponent(of: path): .other]))
            }
        }
        self.rules = rules
        self.exclude = exclude
        self.authorizedKeysPatterns = authorizedKeysPatterns
    }

    /// The built-in set (host paths).
    static let builtIn: [WatchedDirectory] = [
        WatchedDirectory(
            path: "/etc",
            names: [
                "passwd": .passwd, "shadow": .shadow, "group": .group, "gshadow": .gshadow, "sudoers": .sudoers, "crontab": .cron,
                "ld.so.preload": .preload, "ld.so.conf": .loader, "profile": .profile, "bash.bashrc": .profile, "rc.local": .other, "hosts": .hosts,
                "environment": .profile,
            ]),
        WatchedDirectory(path: "/etc/sudoers.d", everything: .sudoers),
        WatchedDirectory(path: "/etc/ssh", names: ["sshd_config": .sshd]),
        WatchedDirectory(path: "/etc/ssh/sshd_config.d", everything: .sshd),
        WatchedDirectory(path: "/etc/cron.d", everything: .cron),
        WatchedDirectory(path: "/etc/cron.hourly", everything: .cron),
        WatchedDirectory(path: "/etc/cron.daily", everything: .cron),
        WatchedDirectory(path: "/etc/cron.weekly", everything: .cron),
        WatchedDirectory(path: "/etc/cron.monthly", everything: .cron),
        WatchedDirectory(path: "/var/spool/cron/crontabs", everything: .cron),
        WatchedDirectory(path: "/etc/systemd/system", everything: .unit, recursive: true),
        WatchedDirectory(path: "/usr/lib/systemd/system", everything: .unit, recursive: true),
        WatchedDirectory(path: "/etc/ld.so.conf.d", everything: .loader),
        WatchedDirectory(path: "/etc/pam.d", everything: .pam),
        WatchedDirectory(path: "/etc/profile.d", everything: .profile),
        WatchedDirectory(path: "/etc/apt", names: ["sources.list": .apt, "trusted.gpg": .aptKey]),
        WatchedDirectory(path: "/etc/apt/sources.list.d", everything: .apt),
        WatchedDirectory(path: "/etc/apt/trusted.gpg.d", everything: .aptKey),
        WatchedDirectory(path: "/etc/apt/keyrings", everything: .aptKey),
        WatchedDirectory(path: "/etc/modprobe.d", everything: .modprobe),
    ]

    /// Where a host path is read.
    func hostPath(_ path: String) -> String { root + path }

    func isExcluded(_ path: String) -> Bool {
        exclude.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// What the entry `name` of the watched `directory` is, or nil when it is not watched.
    func category(directory: String, name: String) -> IdentityCategory? {
        guard let rule = directories[directory], let category = rule.category(of: name) else { return nil }
        return isExcluded(directory + "/" + name) ? nil : category
    }

    /// Recomputes the directories from the rules and the host as it is now.
    mutating func expand() {
        var result: [String: WatchedDirectory] = [:]
        func add(_ rule: WatchedDirectory) {
            guard !isExcluded(rule.path) else { return }
            result[rule.path] = result[rule.path].map { $0.merged(with: rule) } ?? rule
        }
        for rule in rules + pamModuleRules() {
            add(rule)
            guard rule.recursive else { continue }
            var pending = [rule.path]
            while let directory = pending.popLast(), result.count < 10_000 {
                for entry in DirectoryListing.entries(hostPath(directory)) where entry.isDirectory {
                    let child = directory + "/" + entry.name
                    add(WatchedDirectory(path: child, everything: rule.everything, recursive: true))
                    pending.append(child)
                }
            }
        }
        var rootHomes: Set<String> = []
        let users = AccountEntries.users(FileSnapshot.read(hostPath("/etc/passwd"))?.content ?? [])
        for user in users.values.sorted(by: { $0.name < $1.name }) where user.home.hasPrefix("/") && user.home != "/" {
            var info = stat()
            guard stat(hostPath(user.home), &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            if user.uid == 0 { rootHomes.insert(user.home) }
            // The home itself, so a `.ssh` created later is seen and then watched.
            add(WatchedDirectory(path: user.home))
            for file in authorizedKeysFiles(for: user) {
                let directory = FileSystemPath.directory(of: file)
                add(WatchedDirectory(path: directory, names: [FileSystemPath.lastComponent(of: file): .authorizedKeys]))
                if directory != user.home, FileSystemPath.directory(of: directory) == user.home {
                    add(WatchedDirectory(path: user.home))
                }
            }
        }
        directories = result
        self.rootHomes = rootHomes
    }

    /// The authorized_keys files sshd reads for `user`.
    func authorizedKeysFiles(for user: AccountEntries.User) -> [String] {
        authorizedKeysPatterns.compactMap { pattern in
            guard pattern.lowercased() != "none" else { return nil }
            var path = ""
            var index = pattern.startIndex
            while index < pattern.endIndex {
                let character = pattern[index]
                let next = pattern.index(after: index)
                if character == "%", next < pattern.endIndex {
                    switch pattern[next] {
                    case "h": path += user.home
                    case "u": path += user.name
                    case "U": path += user.uid.map(String.init) ?? ""
                    default: path.append(pattern[next])
                    }
                    index = pattern.index(after: next)
                } else {
                    path.append(character)
                    index = next
                }
            }
            return path.hasPrefix("/") ? path : user.home + "/" + path
        }
    }

    /// The PAM module directories present (`/usr/lib/x86_64-linux-gnu/security` on Debian).
    private func pamModuleRules() -> [WatchedDirectory] {
        var rules: [WatchedDirectory] = []
        for entry in DirectoryListing.entries(hostPath("/usr/lib")) where entry.isDirectory && entry.name.hasSuffix("-linux-gnu") {
            let path = "/usr/lib/" + entry.name + "/security"
            if FileSystemPath.kind(of: hostPath(path)) != nil { rules.append(WatchedDirectory(path: path, everything: .pamModule)) }
        }
        return rules
    }

    /// Every watched file present now, with its category.
    func files() -> [(path: String, category: IdentityCategory)] {
        var files: [(path: String, category: IdentityCategory)] = []
        for directory in directories.keys.sorted() {
            for entry in DirectoryListing.entries(hostPath(directory)) where !entry.isDirectory {
                if let category = category(directory: directory, name: entry.name) { files.append((directory + "/" + entry.name, category)) }
            }
        }
        return files
    }
}
