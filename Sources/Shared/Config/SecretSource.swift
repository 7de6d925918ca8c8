import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Where one secret of a configuration came from: inline in the configuration file (`file` nil) or a `{file: PATH}`.
/// (`{env: NAME}` secrets are not listed: their protection is the unit's `EnvironmentFile=`.)
public struct SecretSource: Sendable, Equatable {
    /// The dotted field, such as `hub.key` or `telegram.token`.
    public var field: String
    /// The `{file: …}` path, or nil for a secret written inline in the configuration file.
    public var file: String?

    public init(field: String, file: String?) {
        self.field = field
        self.file = file
    }

    /// A problem for each secret that group or others can read: an inline secret in a configuration file with a
    /// read bit for group or others, or a `{file:}` secret file with one. `check-config` refuses on any of them; a
    /// key anyone on the host can read lets them forge alerts or commands.
    public static func exposures(of sources: [SecretSource], configurationFile: String, mode: (String) -> mode_t? = PrivateFile.mode(of:))
        -> [ConfigProblem]
    {
        sources.compactMap { source in
            let path = source.file ?? configurationFile
            guard let bits = mode(path), bits & 0o044 != 0 else { return nil }
            let place = source.file == nil ? "is written inline in \(path)" : "is read from \(path)"
            return ConfigProblem(
                field: source.field,
                reason: "the secret \(place), which group or others can read (mode \(String(bits, radix: 8))); run `chmod 600 \(path)`")
        }
    }
}
