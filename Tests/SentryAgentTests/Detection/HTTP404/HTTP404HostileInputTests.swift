import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Scanners that try not to be counted: long lines, rotating IPv6 addresses, a table flooded with one-shot addresses,
/// and a forged X-Forwarded-For; and the proxy setup that must still name the client.
@Suite("HTTP 404 detection against hostile clients")
struct HTTP404HostileInputTests {
    static let proxyFormat =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for""#

    /// A `combined` line (with `forwardedFor`, the proxy format) at `base + second`.
    static func line(ip: String, second: Int64, path: String = "/x", referer: String = "-", agent: String = "curl/8", forwardedFor: String? = nil)
        -> [UInt8]
    {
        var text = String(decoding: HTTP404DetectorTests.line(ip: ip, second: second, path: path), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"-\" \"curl/8\"", with: "\"\(referer)\" \"\(agent)\"")
        if let forwardedFor { text += " \"\(forwardedFor)\"" }
        return bytes(text)
    }

    static func proxyDetector(trusted: [String], warningCount: Int = 3) throws -> HTTP404Detector {
        var detectors = DetectorsConfiguration()
        detectors.http404.logFormat = proxyFormat
        detectors.http404.warningCount = warningCount
        detectors.http404.trustedProxies = try trusted.map { try #require(IPNetwork($0)) }
        return try #require(DetectionService.http404Detector(detectors))
    }

    // MARK: - Long lines

    @Test("a scanner sending an 8 KiB Referer and an 8 KiB User-Agent is counted from a real file: its lines are cut, not skipped")
    func longLinesCounted() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("access.log")
        let referer = String(repeating: "R", count: 8192)
        let agent = String(repeating: "A", count: 8192)
        var text = ""
        for second in 0..<25 {
            text += String(decoding: Self.line(ip: "198.51.100.44", second: Int64(second), referer: referer, agent: agent), as: UTF8.self) + "\n"
        }
        text += String(decoding: HTTP404DetectorTests.line(ip: "192.0.2.1", second: 30, status: 200), as: UTF8.self) + "\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let outlet = RecordingOutlet()
        var options = LogFollowerOptions.test
        options.maxLineBytes = 16_384
        let consumer = HTTP404LogConsumer(detector: HTTP404Detector(configuration: .init()), outlet: outlet, wallClock: nil)
        let follower = LogFollower(paths: [path], options: options, store: MemoryFollowerStateStore(), consumer: consumer, logger: Logger(label: "t"))
        follower.start()
        follower.pumpAll()
        #expect(follower.statistics.truncatedLongLines == 25)
        #expect(follower.statistics.lines == 26)
        #expect(follower.consumer.detector.statistics.notFound == 25)
        #expect(outlet.detections.map(\.severity) == [.warning])
        #expect(HTTP404DetectorTests.evidence(outlet.detections.first)?.ip == "198.51.100.44")
    }

    // MARK: - IPv6 prefixes

    @Test("1,000 404s from 1,000 addresses of one /64 are one scanner: the alert names the /64 and lists 10 addresses")
    func ipv6RotationCounted() throws {
        var detector = HTTP404Detector(configuration: .init())
        let lines = (0..<1000).map { Self.line(ip: "2001:db8:1:2:\(String($0, radix: 16)):abcd:0:1", second: Int64($0 / 20)) }
        let detections = HTTP404DetectorTests.run(&detector, lines)
        #expect(detections.map(\.severity) == [.warning, .critical])
        let evidence = try #require(HTTP404DetectorTests.evidence(detections.first))
        #expect(evidence.ip == "2001:db8:1:2::/64")
        #expect(evidence.addresses?.count == 10)
        #expect(evidence.addresses?.first == "2001:db8:1:2:0:abcd:0:1")
        #expect(detector.trackedAddresses == 1)
    }

    @Test("ipv6_prefix 128 counts each IPv6 address alone, and IPv4 is always per address (no addresses list)")
    func perAddressCounting() {
        var single = HTTP404Detector(configuration: .init(ipv6Prefix: 128))
        let v6 = (0..<1000).map { Self.line(ip: "2001:db8:1:2::\(String($0, radix: 16))", second: Int64($0 / 20)) }
        #expect(HTTP404DetectorTests.run(&single, v6).isEmpty)
        var detector = HTTP404Detector(configuration: .init())
        let v4 = (0..<1000).map { Self.line(ip: "10.0.\($0 / 250).\($0 % 250)", second: Int64($0 / 20)) }
        #expect(HTTP404DetectorTests.run(&detector, v4).isEmpty)
        let scanner = (0..<20).map { Self.line(ip: "2001:db8::5", second: Int64($0)) }
        var exact = HTTP404Detector(configuration: .init(ipv6Prefix: 128))
        let evidence = HTTP404DetectorTests.evidence(HTTP404DetectorTests.run(&exact, scanner).first)
        #expect(evidence?.ip == "2001:db8::5" && evidence?.addresses == nil)
    }

    // MARK: - A full table

    @Test("a table filled with one-shot addresses, more arriving between a scanner's 404s, still sees the scanner")
    func floodCannotBlind() {
        var detector = HTTP404Detector(configuration: .init(maxTrackedAddresses: 1000))
        var lines = (0..<1000).map { Self.line(ip: "10.1.\($0 / 250).\($0 % 250)", second: 0) }
        for hit in 0..<20 {
            lines.append(Self.line(ip: "198.51.100.66", second: Int64(hit)))
            lines += (0..<50).map { Self.line(ip: "10.2.\((hit * 50 + $0) / 250).\((hit * 50 + $0) % 250)", second: Int64(hit)) }
        }
        let detections = HTTP404DetectorTests.run(&detector, lines)
        #expect(detections.compactMap { HTTP404DetectorTests.evidence($0)?.ip } == ["198.51.100.66"])
        #expect(detector.trackedAddresses == 1000)
        #expect(detector.statistics.displacedAddresses == 1001)
    }

    // MARK: - Proxies

    @Test("X-Forwarded-For from an address that is not a trusted proxy is ignored: a client cannot blame another")
    func spoofedForwardedForIgnored() throws {
        var detector = try Self.proxyDetector(trusted: ["10.0.0.0/24"])
        let lines = (0..<3).map { Self.line(ip: "198.51.100.9", second: Int64($0), forwardedFor: "192.0.2.99") }
        let detections = HTTP404DetectorTests.run(&detector, lines)
        #expect(detections.compactMap { HTTP404DetectorTests.evidence($0)?.ip } == ["198.51.100.9"])
    }

    @Test("behind trusted proxies the client is the right-most untrusted hop: 'spoof, client, proxy2' via a proxy gives the client")
    func chainThroughProxies() throws {
        var detector = try Self.proxyDetector(trusted: ["10.0.0.1", "10.0.1.0/24"])
        let lines = (0..<3).map { Self.line(ip: "10.0.0.1", second: Int64($0), forwardedFor: "192.0.2.99, 203.0.113.7, 10.0.1.5") }
        let detections = HTTP404DetectorTests.run(&detector, lines)
        #expect(detections.compactMap { HTTP404DetectorTests.evidence($0)?.ip } == ["203.0.113.7"])
        #expect(detector.statistics.unusableForwardedFor == 0)
    }

    @Test(
        "garbage, an absent header, or only trusted hops in X-Forwarded-For: the proxy's address is kept and the line counted",
        arguments: ["not-an-ip", "-", "203.0.113.7:4444", "10.0.0.1, 10.0.0.1", "203.0.113.7,,", ""])
    func unusableForwardedFor(_ value: String) throws {
        var detector = try Self.proxyDetector(trusted: ["10.0.0.1"], warningCount: 1)
        let detections = HTTP404DetectorTests.run(&detector, [Self.line(ip: "10.0.0.1", second: 0, forwardedFor: value)])
        #expect(detections.compactMap { HTTP404DetectorTests.evidence($0)?.ip } == ["10.0.0.1"])
        #expect(detector.statistics.unusableForwardedFor == 1)
    }

    @Test("a line cut before its X-Forwarded-For is still counted, for the proxy")
    func forwardedForCutOff() throws {
        var detector = try Self.proxyDetector(trusted: ["10.0.0.1"], warningCount: 1)
        var line = Self.line(ip: "10.0.0.1", second: 0, agent: String(repeating: "A", count: 500), forwardedFor: "203.0.113.7")
        line.removeLast(40)
        let detections = HTTP404DetectorTests.run(&detector, [line])
        #expect(detections.compactMap { HTTP404DetectorTests.evidence($0)?.ip } == ["10.0.0.1"])
        #expect(detector.statistics.unusableForwardedFor == 1 && detector.statistics.unparsed == 0)
    }

    @Test("trusted_proxies without $http_x_forwarded_for in the log format is refused, naming the field; bad blocks by index")
    func proxyConfiguration() throws {
        var problems: [String] = []
        do {
            _ = try DetectorsConfiguration.parse(
                yaml: """
                    detectors:
                      http404: {trusted_proxies: [10.0.0.0/8, 10.0.0.1/8]}
                      ipv6_prefix: 129
                    """)
        } catch let error as ConfigError {
            problems = error.problems.map(\.description)
        }
        #expect(problems.contains { $0.hasPrefix("detectors.http404.trusted_proxies: needs $http_x_forwarded_for in log_format") })
        #expect(problems.contains { $0.hasPrefix("detectors.http404.trusted_proxies[1]: not an address or CIDR block") })
        #expect(problems.contains { $0.hasPrefix("detectors.ipv6_prefix:") })
        let good = try DetectorsConfiguration.parse(
            yaml: """
                detectors:
                  http404: {trusted_proxies: [10.0.0.0/8, "2001:db8::/32"], log_format: '\(Self.proxyFormat)'}
                  ipv6_prefix: 56
                """)
        #expect(good.http404.trustedProxies.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        #expect(good.ipv6Prefix == 56)
    }
}
