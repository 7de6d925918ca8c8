#if canImport(Glibc)
    import Glibc
#endif

/// Path arithmetic and file kinds without Foundation's `NSString` path methods or `ObjCBool`.
public enum FileSystemPath {
    /// What a path names, following symbolic links.
    public enum Kind: Sendable, Equatable {
        case file, directory, other
    }

    /// The kind of file at `path`, or nil if nothing is there (or it cannot be looked at).
    public static func kind(of path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The directory part, as `dirname` gives it: `/a/b` → `/a`, `/a` → `/`, `a` → `.`.
    public static func directory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        var parent = trimmed[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// The last component: `/a/b` → `b`, `/a/b/` → `b`, `/` → `/`.
    public static func lastComponent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard trimmed != "/", let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }
}
