import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("HTTP 404 bursts from nginx access logs")
struct HTTP404DetectorTests {
    static let base = utc(2025, 11, 22, 2, 51, 0)

    /// A `combined` line at `base + second`.
    static func line(ip: String, second: Int64, path: String = "/x", status: Int = 404) -> [UInt8] {
        let time = base + second
        let minute = (time / 60) % 60
        let hour = (time / 3600) % 24
        let sec = time % 60
        let stamp = "22/Nov/2025:\(pad(hour)):\(pad(minute)):\(pad(sec)) +0000"
        return bytes("\(ip) - - [\(stamp)] \"GET \(path) HTTP/1.1\" \(status) 153 \"-\" \"curl/8\"")
    }

    static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    static func run(_ detector: inout HTTP404Detector, _ lines: [[UInt8]]) -> [Detection] {
        lines.enumerated().compactMap { index, line in
            line.withLine { detector.process($0, origin: LineOrigin(stream: 7, offset: Int64(index))) }
        }
    }

    static func evidence(_ detection: Detection?) -> HTTP404Evidence? {
        guard case .http404(let evidence)? = detection?.subject else { return nil }
        return evidence
    }

    @Test("the fixture: combined lines, IPv6, an escaped quote in the agent, and a remote_user hiding ' [' are all read")
    func fixtureLines() {
        var configuration = HTTP404Detector.Configuration(warningCount: 1, criticalCount: 10)
        configuration.parsesEveryLine = true
        var detector = HTTP404Detector(configuration: configuration)
        let detections = Self.run(&detector, DetectionFixtures.lines("nginx-access.log"))
        // IPv6 is counted per /64 by default; the alert names the network and the address seen.
        #expect(detections.compactMap { Self.evidence($0)?.ip } == ["198.51.100.77", "2001:db8::/64"])
        #expect(detections.last.flatMap { Self.evidence($0)?.addresses } == ["2001:db8::7"])
        #expect(detector.statistics.notFound == 3)
        #expect(detector.statistics.unparsed == 1)
        #expect(detector.trackedAddresses == 2)
        // The third 404 (remote_user "a [b") counted for 198.51.100.77, its time read with its +0100 offset.
        #expect(detector.latestTime == Self.base + 9)
    }

    @Test("a line without the bytes 404 is counted and skipped unparsed; one holding them anywhere is parsed")
    func notFoundPrefilter() {
        let lines = [
            "garbage that is not in the format",
            "garbage with 404 inside, not in the format either",
            #"198.51.100.7 - - [22/Nov/2025:02:51:07 +0000] "GET /a HTTP/1.1" 200 4 "-" "ua""#,
            #"198.51.100.7 - - [22/Nov/2025:02:51:08 +0000] "GET /404 HTTP/1.1" 200 4 "-" "ua""#,
            #"198.51.100.7 - - [22/Nov/2025:02:51:09 +0000] "GET /b HTTP/1.1" 404 4 "-" "ua""#,
        ]
        var skipping = HTTP404Detector(configuration: .init(warningCount: 1, criticalCount: 10))
        var parsing = HTTP404Detector(
            configuration: {
                var configuration = HTTP404Detector.Configuration(warningCount: 1, criticalCount: 10)
                configuration.parsesEveryLine = true
                return configuration
            }())
        #expect(Self.run(&skipping, lines.map { Array($0.utf8) }).count == 1)
        #expect(Self.run(&parsing, lines.map { Array($0.utf8) }).count == 1)
        #expect(skipping.statistics.lines == 5 && skipping.statistics.notFound == 1)
        // Only the line holding "404" was parsed (and failed); the one without it never reached the parser.
        #expect(skipping.statistics.unparsed == 1)
        #expect(parsing.statistics.unparsed == 2)
        for (text, expected) in [("404", true), ("x40 4", false), ("4044", true), ("40", false), ("", false), ("4x404", true)] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { HTTP404Detector.mayBeNotFound($0) } == expected, "\(text)")
        }
    }

    @Test("20 404s within 60 s warn, 50 are critical; the window slides on the log's own times")
    func thresholds() {
        var detector = HTTP404Detector(configuration: .init())
        let lines = (0..<60).map { Self.line(ip: "198.51.100.5", second: Int64($0), path: "/p\($0 % 30)") }
        let detections = Self.run(&detector, lines)
        #expect(detections.map(\.severity) == [.warning, .critical])
        #expect(Self.evidence(detections.first)?.count == 20)
        #expect(Self.evidence(detections.last)?.count == 50)
        #expect(Self.evidence(detections.last)?.distinctPaths == 30)
        #expect(Self.evidence(detections.last)?.samplePaths.count == 5)
        #expect(detections.first?.firstSeen == Self.base)
        #expect(detections.first?.lastSeen == Self.base + 19)
    }

    @Test("404s spread wider than the window never add up: 19 per minute forever is no alert")
    func slidingWindow() {
        var detector = HTTP404Detector(configuration: .init())
        let lines = (0..<600).map { Self.line(ip: "198.51.100.6", second: Int64($0) * 60 / 19 + 1) }
        #expect(Self.run(&detector, lines).isEmpty)
    }

    @Test("one scanner is one alert that escalates once: no repeat within the cooldown, a new alert after it")
    func cooldown() {
        var detector = HTTP404Detector(configuration: .init())
        // 2 per second for 10 minutes.
        let lines = (0..<1200).map { Self.line(ip: "198.51.100.7", second: Int64($0 / 2)) }
        let detections = Self.run(&detector, lines)
        #expect(detections.map(\.severity) == [.warning, .critical, .critical])
        #expect(detections.map { $0.observedAt - Self.base } == [9, 24, 324])
    }

    @Test("other statuses and other clients do not count; each address has its own window")
    func perAddress() {
        var detector = HTTP404Detector(configuration: .init())
        var lines: [[UInt8]] = []
        for second in 0..<30 {
            lines.append(Self.line(ip: "192.0.2.\(second)", second: Int64(second)))
            lines.append(Self.line(ip: "198.51.100.8", second: Int64(second), status: 200))
            lines.append(Self.line(ip: "198.51.100.8", second: Int64(second), status: 403))
        }
        #expect(Self.run(&detector, lines).isEmpty)
        #expect(detector.trackedAddresses == 30)
    }

    @Test("a custom log_format with the variables in another order and IPv6 clients")
    func customFormat() throws {
        let format = try #require(NginxLogFormat(#"$time_local|$status|$remote_addr|"$request"|$request_time"#))
        var detector = HTTP404Detector(configuration: .init(warningCount: 3), format: format)
        let lines = (0..<3).map { bytes("22/Nov/2025:02:51:0\($0) +0000|404|2001:db8::99|\"GET /a|b HTTP/1.1\"|0.001") }
        let detections = Self.run(&detector, lines)
        #expect(Self.evidence(detections.first)?.ip == "2001:db8::/64")
        #expect(Self.evidence(detections.first)?.samplePaths == ["/a|b"])
    }

    @Test(
        "formats the detector cannot use are refused with a reason",
        arguments: [
            ("$remote_addr $status $request", "missing $time_local"),
            ("$remote_addr$time_local $status \"$request\"", "need text between them"),
            ("$remote_addr [$time_local] $status \"$request\" $", "a $ without a variable name"),
        ])
    func badFormats(_ format: String, _ reason: String) {
        #expect(NginxLogFormat(format) == nil)
        #expect(NginxLogFormatCheck.problem(in: format)?.contains(reason) == true)
    }

    @Test("idle addresses are evicted on the log's clock, and by the wall clock when the log goes quiet")
    func eviction() {
        var detector = HTTP404Detector(configuration: .init())
        for index in 0..<500 {
            Self.line(ip: "10.0.\(index / 250).\(index % 250)", second: 0).withLine {
                _ = detector.process($0, origin: nil, wallClock: 1000)
            }
        }
        #expect(detector.trackedAddresses == 500)
        detector.evictIdle(wallClock: 1030)
        #expect(detector.trackedAddresses == 500)
        detector.evictIdle(wallClock: 1061)
        #expect(detector.trackedAddresses == 0)
        #expect(detector.statistics.evicted == 500)
    }

    @Test("an address under cooldown is kept until its cooldown ends, so it cannot re-alert by going quiet")
    func cooldownSurvivesIdle() {
        var detector = HTTP404Detector(configuration: .init(warningCount: 2, criticalCount: 100))
        for second in 0..<2 {
            Self.line(ip: "198.51.100.9", second: Int64(second)).withLine { _ = detector.process($0, origin: nil, wallClock: 1000) }
        }
        detector.evictIdle(wallClock: 1120)
        #expect(detector.trackedAddresses == 1)
        let again = Self.run(&detector, [Self.line(ip: "198.51.100.9", second: 200), Self.line(ip: "198.51.100.9", second: 201)])
        #expect(again.isEmpty)
    }

    // Seconds of CPU: run with the system tests, so it cannot starve the pure ones of the two cores.
    @Test(
        "an address's detail keeps exact window counts and distinct paths through growth and compaction (vs a naive model)", .system)
    func detailMatchesNaiveModel() {
        var generator = SeededGenerator(seed: 7)
        for window in [Int64(5), 60] {
            var time: Int64 = 1_000_000
            var events: [Int64] = [time]
            var paths: Set<UInt32> = [0]
            var detail = ActivityDetail.make(first: UInt32(time), firstPathHash: 0, window: window, time: time)
            for _ in 0..<3000 {
                time += Int64(generator.next() % 4)
                let path = UInt32(generator.next() % 300)
                events.append(time)
                paths.insert(path)
                detail = detail.adding(time: time, window: window)
                detail = detail.inserting(pathHash: path, limit: 1024).0
                let expected = events.filter { $0 > time - window }.count
                #expect(detail.windowCount == expected)
                #expect(detail.oldestInWindow == events.first { $0 > time - window })
                if detail.windowCount != expected { return }
            }
            #expect(detail.distinctPaths == paths.count)
        }
        var capped = ActivityDetail.make(first: 1, firstPathHash: 0, window: 60, time: 1)
        for path in 1...100 { capped = capped.inserting(pathHash: UInt32(path), limit: 10).0 }
        #expect(capped.distinctPaths == 10)
    }

    @Test("the path of a request line, and the whole value when it is not a request line")
    func requestPath() {
        bytes("GET /wp-login.php?a=1 HTTP/1.1").withLine { line in
            #expect(line.string(HTTP404Detector.path(in: line, request: 0..<line.count)) == "/wp-login.php?a=1")
        }
        bytes("\\x16\\x03\\x01").withLine { line in
            #expect(line.string(HTTP404Detector.path(in: line, request: 0..<line.count)) == "\\x16\\x03\\x01")
        }
    }
}
