import Foundation
import Synchronization

/// How many replies the bot gives one person who is not an operator: a few a minute. Past that their commands and
/// presses are still audited but not answered, so a stranger cannot make the bot spam a chat or spend the send
/// budget that alerts need. Memory is bounded: past `maxTracked` people in one minute, newcomers get no reply.
final class StrangerReplyLimiter: Sendable {
    enum Verdict: Equatable, Sendable {
        case reply
        /// The first reply refused in this minute: worth one audit line.
        case silenceStarts
        case silent
    }

    private struct Window {
        var start: Date
        var replies: Int
    }

    let perMinute: Int
    let maxTracked: Int
    private let windows = Mutex<[Int64: Window]>([:])

    init(perMinute: Int = 3, maxTracked: Int = 10_000) {
        self.perMinute = perMinute
        self.maxTracked = maxTracked
    }

    /// Counts one reply `userID` would get at `now` and says whether to send it.
    func verdict(for userID: Int64, now: Date) -> Verdict {
        windows.withLock { windows in
            if windows[userID].map({ now.timeIntervalSince($0.start) >= 60 }) ?? false { windows[userID] = nil }
            if windows[userID] == nil {
                if windows.count >= maxTracked { windows = windows.filter { now.timeIntervalSince($0.value.start) < 60 } }
                guard windows.count < maxTracked else { return .silent }
                windows[userID] = Window(start: now, replies: 0)
            }
            let replies = windows[userID, default: Window(start: now, replies: 0)].replies
            windows[userID]?.replies = replies + 1
            if replies < perMinute { return .reply }
            return replies == perMinute ? .silenceStarts : .silent
        }
    }
}
