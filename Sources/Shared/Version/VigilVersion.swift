/// The one version string: `--version` of both programs, the agent's heartbeats and the release tarball's name
/// (`scripts/package` reads it from this line).
public enum VigilVersion {
    public static let current = "0.1.0"
}
