/// Feeds access log lines to the 404 detector and, when the log is quiet, lets it evict idle addresses.
struct HTTP404LogConsumer: LineConsumer {
    private(set) var detector: HTTP404Detector
    let outlet: any DetectionOutlet
    /// Unix seconds now, for idle eviction only (windows run on the log's own times); nil in replays.
    let wallClock: (@Sendable () -> Int64)?
    private var pending: [Detection] = []
    private var now: Int64?
    private var lastEviction: Int64 = 0
    private(set) var detections = 0

    init(detector: HTTP404Detector, outlet: any DetectionOutlet, wallClock: (@Sendable () -> Int64)?) {
        self.detector = detector
        self.outlet = outlet
        self.wallClock = wallClock
    }

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) {
        if now == nil { now = wallClock?() }
        if let detection = detector.process(line, origin: origin, wallClock: now) { pending.append(detection) }
    }

    mutating func flush() -> Int64? {
        now = nil
        guard !pending.isEmpty else { return nil }
        outlet.deliver(pending)
        detections += pending.count
        pending.removeAll()
        return nil
    }

    mutating func tick() {
        guard let wallClock else { return }
        let time = wallClock()
        guard time - lastEviction >= 10 else { return }
        lastEviction = time
        detector.evictIdle(wallClock: time)
    }
}
