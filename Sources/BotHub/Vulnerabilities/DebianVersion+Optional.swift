import Shared

extension DebianVersion {
    /// The version, or nil when dpkg would refuse the text: for feed fields, where a version that cannot be parsed
    /// cannot be installed or compared either, so the caller's rule for "no version" applies.
    static func parsed(_ text: String) -> DebianVersion? {
        do {
            return try DebianVersion(text)
        } catch {
            return nil
        }
    }
}
