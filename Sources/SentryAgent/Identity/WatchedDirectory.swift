/// One directory of the watched set and which of its entries count.
struct WatchedDirectory: Sendable, Hashable {
    /// The host's path (`/etc/sudoers.d`), whatever root prefix the files are read under.
    var path: String
    /// Entries that count by name, and what each is.
    var names: [String: IdentityCategory] = [:]
    /// When set, every other entry counts too, as this.
    var everything: IdentityCategory?
    /// Subdirectories count too, at any depth (systemd's `*.wants` and `*.d`).
    var recursive = false

    /// What `name` in this directory is, or nil when it is not watched.
    func category(of name: String) -> IdentityCategory? {
        names[name] ?? everything
    }

    /// Both rules at once (two rules may name one directory: `/etc` for accounts and an operator's extra path).
    func merged(with other: WatchedDirectory) -> WatchedDirectory {
        var result = self
        result.names.merge(other.names) { mine, _ in mine }
        result.everything = everything ?? other.everything
        result.recursive = recursive || other.recursive
        return result
    }
}
