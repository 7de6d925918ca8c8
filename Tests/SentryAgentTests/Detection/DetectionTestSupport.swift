import Foundation
import Shared
import Synchronization

@testable import SentryAgent

/// Test inputs for the detectors.
enum DetectionFixtures {
    /// The path of a file in `Tests/SentryAgentTests/Fixtures`, found from this source file.
    static func path(_ name: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    /// The lines of a fixture file (split on `\n`, bytes kept as they are).
    static func lines(_ name: String) -> [[UInt8]] {
        let data = FileManager.default.contents(atPath: path(name)) ?? Data()
        return [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
    }
}

/// An outlet that keeps what it is given.
final class RecordingOutlet: DetectionOutlet {
    private let delivered = Mutex<[Detection]>([])

    var detections: [Detection] { delivered.withLock { $0 } }

    func deliver(_ detections: [Detection]) {
        delivered.withLock { $0 += detections }
    }
}

/// A sink that keeps what it is given, with the time each alert arrived.
final class RecordingSink: AlertSink {
    private let received = Mutex<[Alert]>([])

    var alerts: [Alert] { received.withLock { $0 } }

    func submit(_ alert: Alert) async {
        received.withLock { $0.append(alert) }
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` over the bytes as a buffer (the shape the detectors take).
    func withLine<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        withUnsafeBufferPointer(body)
    }
}

/// The bytes of a string, as a detector sees a line.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Unix seconds of a UTC date, for expectations.
func utc(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0) -> Int64 {
    LogTimestamp.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
}
