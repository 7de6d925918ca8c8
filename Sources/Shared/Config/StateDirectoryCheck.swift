import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a program could create and write its state directory, checked without creating anything (for
/// `check-config`, which must not change the system it checks).
public enum StateDirectoryCheck {
    /// Why `path` cannot serve as a state directory, or nil when it exists and is writable or can be created.
    public static func problem(_ path: String) -> String? {
        var current = path
        var missing = false
        while true {
            var status = stat()
            if stat(current, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    return current == path ? "\(path) exists and is not a directory" : "cannot be created: \(current) is not a directory"
                }
                guard access(current, W_OK | X_OK) == 0 else {
                    return missing ? "cannot be created: \(current) is not writable" : "\(path) is not writable"
                }
                return nil
            }
            guard errno == ENOENT || errno == ENOTDIR else { return "cannot check \(current): \(String(cString: strerror(errno)))" }
            missing = true
            let parent = FileSystemPath.directory(of: current)
            guard parent != current, !parent.isEmpty else { return "cannot be created: no existing parent directory" }
            current = parent
        }
    }
}
