import Logging

/// The `listeners` detector's shell: scans, feeds the detector, and keeps the baseline file in step. Time comes from
/// the caller, so tests drive polls themselves.
struct ListenerMonitor {
    private(set) var scanner: ListenerScanner
    private(set) var detector: ListenerDetector
    /// The baseline file's one writer, shared with the responder that makes Accept and forgets killed listeners.
    let decisions: ListenerDecisions
    var store: ListenerBaselineStore { decisions.store }
    let logger: Logger
    /// True while the socket table cannot be read, so the failure is logged once, not every second.
    private var failing = false

    init(scanner: ListenerScanner, configuration: ListenerDetector.Configuration, decisions: ListenerDecisions, logger: Logger) {
        self.scanner = scanner
        self.decisions = decisions
        self.logger = logger
        let store = decisions.store
        var baseline: ListenerBaseline?
        do {
            baseline = try store.load()
        } catch {
            // A damaged file must not stop the detector; forming a new baseline re-alerts on nothing already open.
            logger.warning("cannot read the listener baseline; forming a new one", metadata: ["path": "\(store.path)", "error": "\(error)"])
        }
        detector = ListenerDetector(configuration: configuration, baseline: baseline)
        // Decisions recorded before this start are already in the file just read.
        _ = decisions.drain()
    }

    /// A monitor with its own decisions mailbox (tests, and agents whose responses do not touch listeners).
    init(scanner: ListenerScanner, configuration: ListenerDetector.Configuration, store: ListenerBaselineStore, logger: Logger) {
        self.init(scanner: scanner, configuration: configuration, decisions: ListenerDecisions(store: store), logger: logger)
    }

    /// The host's DNAT rules for the next polls (the caller reads them less often than it polls).
    mutating func setPublishing(_ rules: [DNATRule]) {
        scanner.publishing = rules
    }

    /// One poll at `time` (Unix seconds): the detections to alert on.
    mutating func tick(time: Int64) -> [Detection] {
        let listeners: [Listener]
        do {
            listeners = try scanner.scan()
            if failing {
                failing = false
                logger.info("listening sockets are readable again")
            }
        } catch {
            if !failing { logger.error("cannot read listening sockets; the listeners detector is blind", metadata: ["error": "\(error)"]) }
            failing = true
            return []
        }
        let decided = decisions.drain()
        for decision in decided { detector.apply(decision) }
        let (detections, changed) = detector.poll(listeners, time: time)
        if changed || !decided.isEmpty, let baseline = detector.baseline {
            do {
                try decisions.save(baseline)
            } catch {
                logger.error("cannot save the listener baseline", metadata: ["path": "\(store.path)", "error": "\(error)"])
            }
        }
        return detections
    }
}
