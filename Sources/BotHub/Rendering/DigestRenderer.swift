import Foundation
import Shared

/// Renders a digest: one message that stands for a flood of alerts, with the addresses behind most of them.
struct DigestRenderer {
    let catalogs: MessageCatalogs
    /// How many addresses "Block top N" blocks.
    static let blockCount = 10

    /// Alert counts per address, most first (ties by address, so the order is stable).
    static func addressCounts(_ alerts: [Alert]) -> [(ip: String, count: Int)] {
        var counts: [String: Int] = [:]
        for alert in alerts {
            if let ip = alert.subject.remoteAddress { counts[ip, default: 0] += 1 }
        }
        return counts.map { ($0.key, $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.ip < $1.ip }
    }

    /// What "Block top N" blocks: the addresses behind most of the alerts that offer a block, at most `blockCount`.
    static func blockTargets(_ alerts: [Alert]) -> [(ip: String, count: Int)] {
        Array(addressCounts(alerts.filter { $0.actions.contains(.blockIP1h) }).prefix(blockCount))
    }

    /// The block targets while the button is still offered (it is single use), else none.
    static func offeredBlockTargets(_ digest: StoredDigest, alerts: [Alert]) -> [(ip: String, count: Int)] {
        digest.handledBy == nil && digest.outcome == nil ? blockTargets(alerts) : []
    }

    /// The message and its buttons. While the block button is offered, the message lists every address it blocks
    /// (`blockTargets`, which the notifier stores with the shown message); afterwards, the top five.
    func render(_ digest: StoredDigest, alerts: [Alert], language: String, now: Date) -> RenderedAlert {
        let kindName = alerts.first.map { catalogs.text(AlertMessageRenderer.key(for: $0.kind), language: language) } ?? digest.kind
        let counts = Self.addressCounts(alerts)
        let targets = Self.offeredBlockTargets(digest, alerts: alerts)
        let listed = targets.isEmpty ? Array(counts.prefix(5)) : targets
        let top = listed.map { catalogs.text(.digestTopEntry, language: language, ["ip": $0.ip, "count": String($0.count)]) }
        var html = catalogs.text(
            .digestSummary,
            language: language,
            [
                "host": alerts.first?.hostname ?? digest.agent,
                "count": String(alerts.count),
                "kind": kindName,
                "sources": catalogs.text(.pluralAddresses, language: language, count: counts.count),
                "window": MessageTime.lastWindow(
                    seconds: max(60, Int(now.timeIntervalSince(digest.openedAt))), catalogs: catalogs, language: language),
            ]
        )
        // The top entries were escaped when each was rendered; they are joined as trusted HTML.
        html = html.replacingOccurrences(of: "%{top}", with: top.joined(separator: ", "))
        if let outcome = digest.outcome { html += "\n\n" + outcome }
        var buttons: [InlineButton] = []
        if !targets.isEmpty {
            buttons.append(
                InlineButton(
                    text: catalogs.text(.buttonDigestBlock, language: language, ["count": String(targets.count)]),
                    callbackData: CallbackData(choice: .digestBlock, shortID: digest.shortID).text
                )
            )
        }
        buttons.append(
            InlineButton(
                text: catalogs.text(.buttonDigestShow, language: language),
                callbackData: CallbackData(choice: .digestShow, shortID: digest.shortID).text))
        return RenderedAlert(html: html, keyboard: [buttons])
    }

    /// Every address of the digest, as one message (cut to Telegram's 4,096 characters).
    func renderList(_ digest: StoredDigest, alerts: [Alert], language: String) -> String {
        let kindName = alerts.first.map { catalogs.text(AlertMessageRenderer.key(for: $0.kind), language: language) } ?? digest.kind
        var lines = [
            catalogs.text(
                .digestShowHeader, language: language,
                ["host": alerts.first?.hostname ?? digest.agent, "count": String(alerts.count), "kind": kindName])
        ]
        var length = lines[0].count
        for entry in Self.addressCounts(alerts) {
            let line = catalogs.text(.digestShowEntry, language: language, ["ip": entry.ip, "count": String(entry.count)])
            guard length + line.count + 1 < 4000 else {
                lines.append("…")
                break
            }
            lines.append(line)
            length += line.count + 1
        }
        return lines.joined(separator: "\n")
    }
}
