import Shared
import Synchronization

/// How one consumer classified the lines it was fed, for `replay --explain`.
struct LineClassification: Equatable {
    /// Lines in the format the detector reads (for SSH: lines written by sshd).
    var parsed = 0
    /// Lines not in that format.
    var unmatched = 0
    /// Lines the detector counted: 404 answers, accepted logins, failed attempts.
    var matched = 0
}

/// A consumer that can say how it classified its lines.
protocol ExplainableConsumer: LineConsumer {
    var classification: LineClassification { get }
    /// What `matched` counts, for the report: `lines with status 404`.
    var matchedMeaning: String { get }
    /// What `unmatched` means, for the report: `not in the log format (combined)`.
    var unmatchedMeaning: String { get }
}

extension HTTP404LogConsumer: ExplainableConsumer {
    var classification: LineClassification {
        let statistics = detector.statistics
        return LineClassification(parsed: statistics.lines - statistics.unparsed, unmatched: statistics.unparsed, matched: statistics.notFound)
    }
    var matchedMeaning: String { "lines with status 404" }
    var unmatchedMeaning: String { "not in the log format, or with an unreadable address or time" }
}

extension SSHLogConsumer: ExplainableConsumer {
    var classification: LineClassification { LineClassification(parsed: sshLines, unmatched: lines - sshLines, matched: recognised) }
    var matchedMeaning: String { "sshd messages read (accepted logins, failed attempts)" }
    var unmatchedMeaning: String { "not written by sshd (other programs, or no syslog header)" }
}

/// Feeds an explainable consumer and keeps the first few lines it did not recognise, with their line numbers.
struct ExplainingConsumer<Inner: ExplainableConsumer>: LineConsumer {
    var inner: Inner
    let maxSamples: Int
    private(set) var samples: [(line: Int, text: String)] = []
    private var lineNumber = 0

    init(_ inner: Inner, maxSamples: Int = 3) {
        self.inner = inner
        self.maxSamples = maxSamples
    }

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) {
        lineNumber += 1
        let before = inner.classification.unmatched
        inner.consume(line, origin: origin)
        if samples.count < maxSamples, inner.classification.unmatched > before {
            samples.append((lineNumber, String(decoding: UnsafeBufferPointer(rebasing: line.prefix(160)), as: UTF8.self)))
        }
    }

    mutating func flush() -> Int64? { inner.flush() }

    /// Starts the next file: line numbers and samples are per file.
    mutating func startFile() {
        lineNumber = 0
        samples = []
    }
}

/// Counts detections by kind and severity instead of printing them (`replay --explain`).
final class DetectionTally: DetectionOutlet {
    private let counts = Mutex<[String: Int]>([:])

    func deliver(_ detections: [Detection]) {
        counts.withLock { counts in
            for detection in detections { counts["\(detection.kind.rawValue) \(detection.severity.rawValue)", default: 0] += 1 }
        }
    }

    /// Counts so far, by `kind severity`.
    var snapshot: [String: Int] { counts.withLock { $0 } }
}

/// One file's part of the `--explain` report.
struct FileExplanation {
    var path: String
    var lines: Int
    var truncated: Int
    var classification: LineClassification
    var samples: [(line: Int, text: String)]
    /// Alerts raised while this file was read, by `kind severity`.
    var alerts: [String: Int]

    func render(detector: String, matchedMeaning: String, unmatchedMeaning: String, maxLineBytes: Int) -> String {
        var text = "\(path)\n"
        text += "  lines read     \(lines)\n"
        text += "  parsed         \(classification.parsed)\n"
        text += "  not matching   \(classification.unmatched)  (\(unmatchedMeaning))\n"
        for sample in samples { text += "    line \(sample.line): \(sample.text)\n" }
        text += "  truncated      \(truncated)  (longer than detectors.follow.max_line_bytes = \(maxLineBytes): cut there and still parsed)\n"
        let total = alerts.values.reduce(0, +)
        let breakdown = alerts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        text += "  \(detector)  \(classification.matched) \(matchedMeaning) → \(total) alert\(total == 1 ? "" : "s")"
        text += breakdown.isEmpty ? "\n" : " (\(breakdown))\n"
        return text
    }
}
