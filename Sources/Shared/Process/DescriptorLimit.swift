import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the open-file limit fit the connection cap, at program start.
///
/// The usual default soft limit (1,024) is below the default `listen.max_connections` (1,024) plus everything else a
/// program holds open, so a flood of idle connections used to exhaust descriptors before the connection cap was
/// reached. The soft limit is raised to what the configuration needs, up to the hard limit; when even the hard limit
/// is too low, the connection cap is lowered to fit instead, so the cap is always reached before the descriptors run out.
public enum DescriptorLimit {
    /// Descriptors kept for everything that is not a served connection: followed logs, the outbox or the database
    /// (with its WAL), child processes' pipes, outbound connections, the event poller, the listeners.
    public static let reserve = 256

    /// The connection cap that fits in `available` descriptors, or `configured` when it already fits.
    public static func connectionCap(configured: Int, otherConnections: Int, available: Int) -> Int {
        min(configured, max(1, available - reserve - otherConnections))
    }

    /// Raises the soft `RLIMIT_NOFILE` for `listen` plus `otherConnections` (the metrics server) and returns `listen`
    /// with its connection cap lowered if the hard limit does not allow the configured one.
    public static func fit(_ listen: HTTPServerConfiguration, otherConnections: Int, logger: Logger) -> HTTPServerConfiguration {
        let needed = listen.maxConnections + otherConnections + reserve
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            logger.error("cannot read the open-file limit; keeping the configured connection cap", metadata: ["errno": "\(errno)"])
            return listen
        }
        // RLIM_INFINITY is all ones, so plain comparisons treat it as the largest limit.
        let target = min(rlim_t(needed), limit.rlim_max)
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 {
                logger.info("raised the open-file limit", metadata: ["from": "\(limit.rlim_cur)", "to": "\(target)"])
                limit = raised
            } else {
                logger.error("cannot raise the open-file limit", metadata: ["wanted": "\(target)", "errno": "\(errno)"])
            }
        }
        let available = Int(clamping: limit.rlim_cur)
        let cap = connectionCap(configured: listen.maxConnections, otherConnections: otherConnections, available: available)
        guard cap < listen.maxConnections else { return listen }
        logger.warning(
            "the open-file limit is too low for listen.max_connections; serving fewer connections (raise LimitNOFILE or ulimit -Hn)",
            metadata: ["configured": "\(listen.maxConnections)", "serving": "\(cap)", "open_file_limit": "\(available)", "needed": "\(needed)"]
        )
        var fitted = listen
        fitted.maxConnections = cap
        return fitted
    }
}
