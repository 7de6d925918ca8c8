import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A file-system error in the words a log line or a terminal should show.
///
/// FoundationEssentials has no `localizedDescription`, and its errors print as `CocoaError(code: …, userInfo: …)`;
/// the C library's words for the errno underneath (`No such file or directory`) are what an operator recognises.
public enum FileErrorText {
    /// The reason `error` gives, as the system says it.
    public static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        return "\(error)"
    }
}
