import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Counts HTTP 404 answers per client address in a sliding window over nginx access log lines and reports
/// `http_404_burst` at the warning and critical counts (default 20 and 50 within 60 s).
///
/// - Windows run on the log's own `$time_local`, so a replay gives the same alerts as the live run; the wall clock is
///   only used to evict idle addresses when the log goes quiet (`evictIdle(wallClock:)`).
/// - After an alert at a level, the address raises nothing at that level or below for `cooldown` (default 5 min): one
///   scanner is one alert that escalates at most once per cooldown.
/// - IPv6 clients are counted per network of `ipv6Prefix` bits (default /64): one host can use a fresh address of its
///   /64 for every request. The alert then names the network in CIDR form and lists the addresses seen.
/// - Behind trusted proxies (`trustedProxies`), the client is read from `$http_x_forwarded_for`; see `TrustedProxies`.
/// - Memory: an address seen once costs one table entry (16-byte key, 24-byte value, two links); from its second 404
///   on, one more allocation holds its per-second counts and distinct path hashes (`ActivityDetail`); sample path
///   strings are kept only for addresses within reach of a threshold. Idle addresses are evicted, and a full table
///   makes room by evicting its least recently active address (`RecencyTable`), so it cannot be filled to blind it.
struct HTTP404Detector {
    struct Configuration: Sendable {
        var windowSeconds: Int64 = 60
        var warningCount = 20
        var criticalCount = 50
        var cooldownSeconds: Int64 = 300
        var maxTrackedAddresses = 2_000_000
        var samplePaths = 5
        /// Distinct paths are counted exactly up to this many per address.
        var maxDistinctPaths = 1024
        var maxSamplePathBytes = 256
        /// IPv6 addresses are counted per network of this many bits; 128 counts each alone.
        var ipv6Prefix = 64
        /// The most addresses of one IPv6 network an alert lists.
        var maxAddressesListed = 10
        var trustedProxies = TrustedProxies([])
        /// Parse lines that cannot be 404 answers too, so `unparsed` counts every line not in the format (what
        /// `replay --explain` reports); otherwise such lines are counted and skipped after a byte search.
        var parsesEveryLine = false
    }

    /// Line counts, for `replay` and logs.
    struct Statistics: Sendable, Equatable {
        var lines = 0
        var notFound = 0
        /// Lines that do not follow the log format, or whose address or time does not parse.
        var unparsed = 0
        /// Least recently active addresses evicted to make room for new ones when the table was full.
        var displacedAddresses = 0
        /// Idle addresses evicted.
        var evicted = 0
        /// Lines from a trusted proxy whose `$http_x_forwarded_for` named no usable client (counted for the proxy).
        var unusableForwardedFor = 0
    }

    let configuration: Configuration
    let format: NginxLogFormat
    /// With trusted proxies: `format` without `$http_x_forwarded_for`, for lines whose value could not be located
    /// (cut by `max_line_bytes`, or shaped by a client); their client is then `$remote_addr`.
    private let formatWithoutForwardedFor: NginxLogFormat?
    private(set) var statistics = Statistics()
    private var table: RecencyTable<Activity>
    /// Sample paths of the few addresses close to a threshold (kept apart so the main table stays small).
    private var samples: [IPKey: [String]] = [:]
    /// The distinct addresses seen of IPv6 networks tracked as one (kept apart: most clients are single addresses).
    private var addressesSeen: [IPKey: [IPKey]] = [:]
    /// The latest log time seen, and the wall-clock time it was seen at (for idle eviction).
    private(set) var latestTime: Int64 = 0
    private var wallClockAtLatest: Int64 = 0
    private var nextSweep: Int64 = 0
    private var cachedTimeBytes: [UInt8] = Array(repeating: 0, count: 26)
    private var cachedTime: Int64 = 0

    /// Addresses currently tracked.
    var trackedAddresses: Int { table.count }

    /// `format` must locate `$http_x_forwarded_for` when `configuration.trustedProxies` is not empty
    /// (`NginxLogFormat(_:forwardedFor: true)`); `plainFormat` is the same format without it.
    init(configuration: Configuration, format: NginxLogFormat = .combined, plainFormat: NginxLogFormat? = nil) {
        self.configuration = configuration
        self.format = format
        self.formatWithoutForwardedFor = configuration.trustedProxies.isEmpty ? nil : plainFormat
        self.table = RecencyTable(capacity: configuration.maxTrackedAddresses)
    }

    private struct Activity {
        var lastSeen: UInt32
        var warningUntil: UInt32 = 0
        var criticalUntil: UInt32 = 0
        var firstPathHash: UInt32
        var detail: ActivityDetail?
    }

    /// Feeds one access log line. `wallClock` (Unix seconds) is when it was read, for idle eviction; nil in replays.
    mutating func process(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin?, wallClock: Int64? = nil) -> Detection? {
        statistics.lines += 1
        // A 404 line holds the bytes "404" somewhere; finding them costs a fraction of locating the format's fields,
        // and most lines of a busy log have none.
        guard configuration.parsesEveryLine || Self.mayBeNotFound(line) else { return nil }
        guard let fields = format.locate(line) ?? formatWithoutForwardedFor?.locate(line) else {
            statistics.unparsed += 1
            return nil
        }
        let status = fields.status.lowerBound
        guard fields.status.count == 3, line[status] == UInt8(ascii: "4"), line[status + 1] == UInt8(ascii: "0"),
            line[status + 2] == UInt8(ascii: "4")
        else { return nil }
        statistics.notFound += 1
        guard var ip = IPKey(line, fields.remoteAddress), let time = parseTime(line, fields.timeLocal) else {
            statistics.unparsed += 1
            return nil
        }
        if !configuration.trustedProxies.isEmpty, configuration.trustedProxies.contains(ip) {
            if let client = configuration.trustedProxies.client(forwardedFor: line, fields.forwardedFor) {
                ip = client
            } else {
                statistics.unusableForwardedFor += 1
            }
        }
        if time > latestTime {
            latestTime = time
        }
        if let wallClock { wallClockAtLatest = wallClock }
        if latestTime >= nextSweep {
            sweep(now: latestTime)
            nextSweep = latestTime + max(configuration.windowSeconds, 10)
        }
        let path = Self.path(in: line, request: fields.request)
        let pathHash = Self.hash(line, path)
        let sample = path.lowerBound..<min(path.upperBound, path.lowerBound + configuration.maxSamplePathBytes)
        return record(ip: ip, time: time, pathHash: pathHash, path: { line.string(sample) }, origin: origin)
    }

    /// False only when `line` cannot hold the status 404: the bytes "404" appear nowhere in it.
    @inline(__always)
    static func mayBeNotFound(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.index(of: notFoundDigits, from: 0) != nil
    }

    private static let notFoundDigits: [UInt8] = Array("404".utf8)

    /// Evicts addresses idle for a window (and past their cooldowns), judging "now" from the wall clock when the log
    /// has been quiet: the log time of the last line plus the wall-clock time since it was read.
    mutating func evictIdle(wallClock: Int64) {
        guard latestTime > 0 else { return }
        let now = latestTime + max(0, wallClock - wallClockAtLatest)
        sweep(now: now)
    }

    private mutating func record(ip address: IPKey, time: Int64, pathHash: UInt32, path: () -> String, origin: LineOrigin?) -> Detection? {
        let window = configuration.windowSeconds
        let now = UInt32(clamping: time)
        let ip = address.counted(ipv6Prefix: configuration.ipv6Prefix)
        if ip != address { noteAddress(address, of: ip) }
        guard let slot = table.slot(of: ip) else {
            var activity = Activity(lastSeen: now, firstPathHash: pathHash)
            if configuration.warningCount <= 1 {
                activity.detail = ActivityDetail.make(first: now, firstPathHash: pathHash, window: window, time: time)
                addSample(path(), for: ip)
            }
            let detection = evaluate(&activity, ip: ip, time: time, origin: origin)
            if let evicted = table.insert(ip, activity).evicted {
                forget(evicted.key)
                statistics.displacedAddresses += 1
            }
            return detection
        }
        table.touch(slot)
        var activity = table[slot]
        var detail =
            activity.detail ?? ActivityDetail.make(first: activity.lastSeen, firstPathHash: activity.firstPathHash, window: window, time: time)
        detail = detail.adding(time: time, window: window)
        let isNewPath: Bool
        (detail, isNewPath) = detail.inserting(pathHash: pathHash, limit: configuration.maxDistinctPaths)
        activity.detail = detail
        // Sample paths are kept only once an alert is within reach: most addresses never get near a threshold, and
        // their path strings would be most of the table's memory.
        if detail.windowCount + configuration.samplePaths >= configuration.warningCount, isNewPath || samples[ip] == nil {
            addSample(path(), for: ip)
        }
        activity.lastSeen = max(activity.lastSeen, now)
        let detection = evaluate(&activity, ip: ip, time: time, origin: origin)
        table[slot] = activity
        return detection
    }

    /// Remembers one of the first few distinct addresses of an IPv6 network counted as one.
    private mutating func noteAddress(_ address: IPKey, of network: IPKey) {
        let limit = configuration.maxAddressesListed
        if let list = addressesSeen[network], list.count >= limit || list.contains(address) { return }
        addressesSeen[network, default: []].append(address)
    }

    private mutating func forget(_ ip: IPKey) {
        samples.removeValue(forKey: ip)
        addressesSeen.removeValue(forKey: ip)
    }

    private mutating func addSample(_ path: String, for ip: IPKey) {
        var list = samples[ip] ?? []
        guard list.count < configuration.samplePaths, !list.contains(path) else { return }
        list.append(path)
        samples[ip] = list
    }

    private func count(_ activity: Activity, at time: Int64) -> Int {
        if let detail = activity.detail { return detail.windowCount }
        return Int64(activity.lastSeen) > time - configuration.windowSeconds ? 1 : 0
    }

    private func evaluate(_ activity: inout Activity, ip: IPKey, time: Int64, origin: LineOrigin?) -> Detection? {
        let count = count(activity, at: time)
        let now = UInt32(clamping: time)
        let severity: Severity
        if count >= configuration.criticalCount, now >= activity.criticalUntil {
            severity = .critical
            activity.criticalUntil = UInt32(clamping: time + configuration.cooldownSeconds)
            activity.warningUntil = max(activity.warningUntil, activity.criticalUntil)
        } else if count >= configuration.warningCount, now >= activity.warningUntil, now >= activity.criticalUntil {
            severity = .warning
            activity.warningUntil = UInt32(clamping: time + configuration.cooldownSeconds)
        } else {
            return nil
        }
        let detail = activity.detail
        let prefix = configuration.ipv6Prefix
        let evidence = HTTP404Evidence(
            ip: ip.subject(ipv6Prefix: prefix), count: count, distinctPaths: detail?.distinctPaths ?? 1, samplePaths: samples[ip] ?? [],
            windowSeconds: Int(configuration.windowSeconds),
            addresses: ip.isNetwork(ipv6Prefix: prefix) ? addressesSeen[ip]?.map(\.description) : nil)
        return Detection(
            kind: .http404Burst, severity: severity, subject: .http404(evidence), observedAt: time,
            firstSeen: detail?.oldestInWindow ?? Int64(activity.lastSeen), lastSeen: time, origin: origin)
    }

    private mutating func sweep(now: Int64) {
        let window = configuration.windowSeconds
        let idle = table.removeAll { _, activity in
            Int64(activity.lastSeen) + window <= now && Int64(activity.warningUntil) <= now && Int64(activity.criticalUntil) <= now
        }
        for ip in idle { forget(ip) }
        statistics.evicted += idle.count
    }

    private mutating func parseTime(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        // Consecutive lines mostly share their second: compare the bytes before parsing them.
        guard range.count == 26 else { return nil }
        let same = cachedTimeBytes.withUnsafeBufferPointer { cached in
            guard let lineBase = line.baseAddress, let cachedBase = cached.baseAddress else { return false }
            return memcmp(lineBase + range.lowerBound, cachedBase, 26) == 0
        }
        if same, cachedTime != 0 { return cachedTime }
        guard let time = LogTimestamp.nginxLocalTime(line, range) else { return nil }
        cachedTimeBytes.withUnsafeMutableBufferPointer { cached in
            for index in 0..<26 { cached[index] = line[range.lowerBound + index] }
        }
        cachedTime = time
        return time
    }

    /// The request target of `"$request"` (`GET /wp-login.php HTTP/1.1` → `/wp-login.php`), or the whole value.
    static func path(in line: UnsafeBufferPointer<UInt8>, request: Range<Int>) -> Range<Int> {
        guard let space = line.index(of: UInt8(ascii: " "), from: request.lowerBound), space < request.upperBound else { return request }
        let start = space + 1
        let end = line.index(of: UInt8(ascii: " "), from: start).map { min($0, request.upperBound) } ?? request.upperBound
        return start..<end
    }

    private static func hash(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt32 {
        let full = FNV1a.hash(UnsafeBufferPointer(rebasing: line[range]))
        return UInt32(truncatingIfNeeded: full ^ (full >> 32))
    }
}
