import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Keeps the hub's copy of the Debian security tracker current: one download for the whole fleet, at most once per
/// `refresh` (an hour at least), conditional (`If-None-Match` / `If-Modified-Since`: an unchanged feed costs one small
/// reply), written to disk as it arrives and read back as a stream, so neither the download nor the parse ever holds
/// the ~70 MB document in memory. Only the releases present in the fleet's inventories are stored.
///
/// A feed that cannot be fetched or parsed leaves the last good one in place; the failure is kept in the feed state,
/// which `/status` and `bothub status` show.
struct FeedUpdater: Service {
    let configuration: VulnerabilitiesConfiguration
    let store: HubStore
    /// Where the download is written before it is parsed (the hub's state directory).
    let workDirectory: String
    let logger: Logger
    let now: @Sendable () -> Date
    /// Called after the stored advisories changed (to re-match every stored inventory).
    var advisoriesChanged: @Sendable () async -> Void = {}
    /// Advisories staged per transaction while parsing.
    var batchSize = 2_000

    /// What one refresh did.
    enum Outcome: Equatable, Sendable {
        /// The server answered 304: the stored feed is current.
        case unchanged
        /// A new feed was parsed and stored: this many advisories for the fleet's releases.
        case updated(advisories: Int)
        /// Nothing to fetch for: no agent has sent an inventory yet.
        case skipped
        /// The old feed (if any) stays; the reason is in the feed state.
        case failed(String)
    }

    static var userAgent: String { "vigil-hub/\(VigilVersion.current) (known-vulnerability check for a fleet; one fetch an hour at most)" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await refresh()
                _ = await refreshUbuntu()
                if configuration.kevURL != nil { _ = await refreshKnownExploited() }
                try? await Task.sleep(for: configuration.refreshInterval)
            }
        }
    }

    /// One check of the Debian tracker, for the fleet's Debian releases.
    func refresh() async -> Outcome {
        let releases: Set<String>
        do {
            releases = try store.fleetReleases()
        } catch {
            logger.error("cannot read the fleet's releases", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        return await refreshAdvisories(feed: .debianTracker, url: configuration.trackerURL, releases: releases) { path, body in
            try TrackerFeedReader(releases: releases).read(path: path, body)
        }
    }

    /// One check of Canonical's OSV archive, for the fleet's Ubuntu releases (by the `VERSION_ID` their agents sent).
    func refreshUbuntu() async -> Outcome {
        let versions: [String: String]
        do {
            versions = try store.fleetUbuntuReleases()
        } catch {
            logger.error("cannot read the fleet's releases", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        return await refreshAdvisories(feed: .ubuntuOSV, url: configuration.ubuntuOSVURL, releases: Set(versions.keys)) { path, body in
            try UbuntuOSVFeedReader(versions: versions).read(path: path, body)
        }
    }

    /// A reader of the downloaded document at a path: it hands each (release, source) entry to its body.
    typealias FeedRead = @Sendable (_ path: String, _ body: (FeedEntry) throws -> Void) throws -> Void

    /// The refresh both advisory feeds share: the conditional download, then the parse into the store's staging table
    /// and the promotion of `feed`'s rows, the other feed's rows untouched.
    private func refreshAdvisories(feed: VulnerabilityFeed, url: String, releases: Set<String>, read: @escaping FeedRead) async -> Outcome {
        let started = now()
        guard !releases.isEmpty else { return .skipped }
        let previous: VulnerabilityFeedState?
        do {
            previous = try store.vulnerabilityFeedState(name: feed.rawValue)
        } catch {
            logger.error("cannot read the vulnerability feed state", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        // A release new to the fleet needs the whole feed again, even if the server's copy has not changed.
        let conditional = previous.map { Set($0.releases).isSuperset(of: releases) && $0.updatedAt != nil } ?? false
        let path = "\(workDirectory)/\(feed.rawValue).download"
        defer { unlink(path) }
        let response: CurlResponse
        switch await fetch(url, to: path, name: feed.rawValue, previous: previous, conditional: conditional, at: started) {
        case .finished(let outcome): return outcome
        case .fetched(let fetched): response = fetched
        }
        do {
            let state = VulnerabilityFeedState(
                releases: releases.sorted(), advisories: 0, updatedAt: started, checkedAt: started, failure: nil, failedAt: nil,
                etag: response.headers["ETag"], lastModified: response.headers["Last-Modified"])
            // Parsing and storing a real feed takes tens of seconds of CPU: on a thread of its own, not the pool's.
            let (store, batchSize) = (store, batchSize)
            let count = try await DedicatedThread.run {
                Result { try store.replaceAdvisories(feed: feed, state: state, batchSize: batchSize) { body in try read(path, body) } }
            }.get()
            logger.info(
                "vulnerability feed updated",
                metadata: [
                    "feed": "\(feed.rawValue)", "advisories": "\(count)", "releases": "\(releases.sorted().joined(separator: ","))",
                    "seconds": "\(String(format: "%.1f", now().timeIntervalSince(started)))",
                ])
            await advisoriesChanged()
            return .updated(advisories: count)
        } catch {
            return fail("cannot read the feed from \(url): \(error)", previous: previous, at: started, name: feed.rawValue)
        }
    }

    /// One check of CISA's Known Exploited Vulnerabilities catalog (`kev_url`), conditional like the tracker's: a
    /// ~1 MB document of which only the `cveID`s are kept. A failure keeps the last good list and is noted in its state.
    func refreshKnownExploited() async -> Outcome {
        guard let url = configuration.kevURL else { return .skipped }
        let started = now()
        let name = HubStore.knownExploitedFeedName
        let previous: VulnerabilityFeedState?
        do {
            previous = try store.vulnerabilityFeedState(name: name)
        } catch {
            logger.error("cannot read the KEV feed state", metadata: ["error": "\(error)"])
            return .failed("\(error)")
        }
        let path = "\(workDirectory)/kev.json.download"
        defer { unlink(path) }
        let response: CurlResponse
        switch await fetch(url, to: path, name: name, previous: previous, conditional: previous?.updatedAt != nil, at: started) {
        case .finished(let outcome): return outcome
        case .fetched(let fetched): response = fetched
        }
        do {
            let store = store
            let cves = try await DedicatedThread.run {
                Result { () throws -> Set<String> in
                    let catalog = try JSONDecoder().decode(KnownExploitedCatalog.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
                    let cves = Set(catalog.vulnerabilities.map(\.cveID))
                    let state = VulnerabilityFeedState(
                        releases: [], advisories: cves.count, updatedAt: started, checkedAt: started, failure: nil, failedAt: nil,
                        etag: response.headers["ETag"], lastModified: response.headers["Last-Modified"])
                    try store.replaceKnownExploited(cves, state: state)
                    return cves
                }
            }.get()
            logger.info("known exploited vulnerabilities updated", metadata: ["cves": "\(cves.count)"])
            return .updated(advisories: cves.count)
        } catch {
            return fail("cannot read the KEV catalog from \(url): \(error)", previous: previous, at: started, name: name)
        }
    }

    /// How a conditional download ended: a new document to read, or the refresh's outcome already (304, or a failure
    /// that keeps the last good copy).
    private enum Fetch {
        case fetched(CurlResponse)
        case finished(Outcome)
    }

    /// The conditional download both feeds share: a 304 marks the feed checked; a failed fetch or an HTTP error keeps
    /// the last good copy and notes the failure in the feed's state.
    private func fetch(
        _ url: String, to path: String, name: String, previous: VulnerabilityFeedState?, conditional: Bool, at started: Date
    ) async -> Fetch {
        let response: CurlResponse
        do {
            response = try await download(url, to: path, validators: conditional ? previous : nil)
        } catch {
            return .finished(fail("cannot fetch \(url): \(error)", previous: previous, at: started, name: name))
        }
        switch response.status {
        case 304:
            var state = previous ?? VulnerabilityFeedState(releases: [], advisories: 0)
            state.checkedAt = started
            state.failure = nil
            state.failedAt = nil
            save(state, name: name)
            logger.debug("a vulnerability feed is unchanged", metadata: ["feed": "\(name)"])
            return .finished(.unchanged)
        case 200:
            return .fetched(response)
        default:
            return .finished(fail("\(url) answered HTTP \(response.status)", previous: previous, at: started, name: name))
        }
    }

    private func download(_ url: String, to path: String, validators: VulnerabilityFeedState?) async throws -> CurlResponse {
        try PrivateFile.makeDirectory(workDirectory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw TrackerFeedError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var headers = ["User-Agent: \(Self.userAgent)"]
        if let etag = validators?.etag { headers.append("If-None-Match: \(etag)") }
        if let lastModified = validators?.lastModified { headers.append("If-Modified-Since: \(lastModified)") }
        let request = CurlRequest(
            url: url, connectTimeout: .seconds(30), totalTimeout: configuration.timeout,
            maxResponseBytes: configuration.maxFeedBytes, headers: headers, bodyFile: descriptor, replyHeaders: ["ETag", "Last-Modified"])
        return try await CurlTransferLoop.shared.perform(request)
    }

    private func fail(_ reason: String, previous: VulnerabilityFeedState?, at time: Date, name: String = HubStore.trackerFeedName) -> Outcome {
        logger.warning("the vulnerability feed was not updated; the last good copy stays in use", metadata: ["reason": "\(reason)"])
        var state = previous ?? VulnerabilityFeedState(releases: [], advisories: 0)
        state.failure = reason
        state.failedAt = time
        save(state, name: name)
        return .failed(reason)
    }

    private func save(_ state: VulnerabilityFeedState, name: String = HubStore.trackerFeedName) {
        do {
            try store.saveVulnerabilityFeedState(state, name: name)
        } catch {
            logger.error("cannot save the vulnerability feed state", metadata: ["error": "\(error)"])
        }
    }
}

extension FeedUpdater: CustomStringConvertible {
    /// How the service group names this service in its logs.
    var description: String { "FeedUpdater" }
}

/// The part of CISA's KEV JSON the hub reads: `{"vulnerabilities": [{"cveID": "CVE-…", …}, …]}`.
struct KnownExploitedCatalog: Decodable {
    struct Entry: Decodable {
        var cveID: String
    }

    var vulnerabilities: [Entry]
}
