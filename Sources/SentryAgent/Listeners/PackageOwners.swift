#if canImport(Glibc)
    import Glibc
#endif

/// Which Debian package installed a file, as `dpkg -S` answers, from dpkg's own file lists
/// (`/var/lib/dpkg/info/<package>[:arch].list`, one path per line).
///
/// Nothing is indexed up front: a full path → package table for a whole system costs tens of MiB, and a host has a
/// few dozen listening executables. Each lookup of paths not asked before scans the lists once for all of them, and
/// answers (including "no package") are remembered until dpkg's info directory changes (an install or removal).
struct PackageOwners {
    let infoDirectory: String
    private var answers: [String: String?] = [:]
    private var stamp: timespec?

    init(infoDirectory: String = "/var/lib/dpkg/info") {
        self.infoDirectory = infoDirectory
    }

    /// True when this host has dpkg's lists at all; without them "no package" would mean nothing.
    var isAvailable: Bool { access(infoDirectory, R_OK) == 0 }

    /// The package owning each of `paths`, nil for one no package owns.
    mutating func packages(owning paths: Set<String>) -> [String: String?] {
        let current = Self.modificationTime(infoDirectory)
        if current?.tv_sec != stamp?.tv_sec || current?.tv_nsec != stamp?.tv_nsec {
            answers = [:]
            stamp = current
        }
        let unknown = paths.subtracting(answers.keys)
        if !unknown.isEmpty {
            let found = scan(for: unknown)
            for path in unknown { answers[path] = .some(found[path]) }
        }
        var result: [String: String?] = [:]
        for path in paths { result.updateValue(answers[path] ?? nil, forKey: path) }
        return result
    }

    /// One pass over every `.list` file, matching each line against `paths` and their merged-/usr twins.
    private func scan(for paths: Set<String>) -> [String: String] {
        var wanted: [[UInt8]: String] = [:]
        for path in paths {
            for alias in Self.aliases(of: path) { wanted[Array(alias.utf8)] = path }
        }
        let lengths = Set(wanted.keys.map(\.count))
        var found: [String: String] = [:]
        let reader = ProcFileSystem(root: infoDirectory)
        for name in (listDirectory(infoDirectory) ?? []).sorted() where name.hasSuffix(".list") {
            guard let bytes = reader.read(name, limit: 64 << 20) else { continue }
            let package = String(name.dropLast(".list".count).prefix { $0 != ":" })
            var lineStart = 0
            while lineStart < bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if lengths.contains(lineEnd - lineStart), let path = wanted[Array(bytes[lineStart..<lineEnd])], found[path] == nil {
                    found[path] = package
                }
                lineStart = lineEnd + 1
            }
            if found.count == paths.count { break }
        }
        return found
    }

    /// `path` and, on a merged-/usr system, the spelling dpkg may have recorded (`/usr/bin/x` ↔ `/bin/x`).
    static func aliases(of path: String) -> [String] {
        for (merged, legacy) in [("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/"), ("/usr/lib64/", "/lib64/")] {
            if path.hasPrefix(merged) { return [path, legacy + path.dropFirst(merged.count)] }
            if path.hasPrefix(legacy) { return [path, merged + path.dropFirst(legacy.count)] }
        }
        return [path]
    }

    private static func modificationTime(_ path: String) -> timespec? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mtim
    }
}
