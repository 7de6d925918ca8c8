/// Why a tracker feed cannot be read, fit for a log line and for `/status`.
struct TrackerFeedError: Error, Equatable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
