import Shared

/// The package checks' entry points for `vigil-bench` (which times them without the agent's process around them).
public enum PackageChecks {
    /// Reads dpkg's status database at `path` as the detector's status-only rescan does; the installed count.
    public static func installedPackageCount(statusPath: String) throws -> Int {
        do {
            return try DpkgStatusReader(path: statusPath).read().packages.count
        } catch {
            throw PackageCheckError(description: error.description)
        }
    }

    /// A full scan with the system's apt: indexes, candidates, installed packages; the pending count. With `cached`,
    /// the scanner keeps one `AptIndexCache` across calls (as the detector does), so calls after the first reuse the
    /// indexes while apt's configuration and lists are unchanged.
    public static func pendingSecurityUpdateCount(cached: Bool = false) async throws -> Int {
        do {
            return try await SecurityUpdateScanner(runner: ProcessCommandRunner(), cache: cached ? sharedCache : nil).scan().pending.count
        } catch {
            throw PackageCheckError(description: error.description)
        }
    }

    private static let sharedCache = AptIndexCache()
}

/// A package check failed; the reason fits a log line.
public struct PackageCheckError: Error, CustomStringConvertible {
    public let description: String
}
