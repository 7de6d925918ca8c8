import Shared
import Testing

@testable import BotHub

/// The text behind every button: `v1:<choice>:<short id>`, read back to the same choice, within Telegram's 64 bytes,
/// and nothing else accepted.
@Suite("Button callback data")
struct CallbackDataTests {
    static let shortID = "6f1c2a3b4d5e"

    static var everyChoice: [CallbackData.Choice] {
        AlertAction.allCases.map { .action($0) } + AlertAction.allCases.filter(\.needsConfirmation).map { .confirm($0) }
            + [.cancel, .unblock, .digestBlock, .digestShow, .fleetUpgrade, .fleetConfirm("0123456789abcdef"), .fleetCancel]
    }

    @Test("every choice reads back as itself, with its short id")
    func roundTrip() {
        for choice in Self.everyChoice {
            let data = CallbackData(choice: choice, shortID: Self.shortID)
            #expect(CallbackData(data.text) == data, "\(data.text)")
        }
    }

    @Test("the texts are the documented wire form")
    func wireForm() {
        #expect(CallbackData(choice: .action(.blockIP1h), shortID: Self.shortID).text == "v1:block_ip_1h:6f1c2a3b4d5e")
        #expect(CallbackData(choice: .confirm(.reboot), shortID: Self.shortID).text == "v1:confirm_reboot:6f1c2a3b4d5e")
        #expect(CallbackData(choice: .cancel, shortID: Self.shortID).text == "v1:cancel:6f1c2a3b4d5e")
        #expect(CallbackData(choice: .unblock, shortID: Self.shortID).text == "v1:unblock:6f1c2a3b4d5e")
        #expect(CallbackData(choice: .digestBlock, shortID: Self.shortID).text == "v1:digest_block:6f1c2a3b4d5e")
        #expect(CallbackData(choice: .digestShow, shortID: Self.shortID).text == "v1:digest_show:6f1c2a3b4d5e")
    }

    @Test("even the longest choice with the longest short id fits Telegram's 64 bytes")
    func fitsTelegramLimit() {
        let longestID = String(repeating: "f", count: 32)
        for choice in Self.everyChoice {
            let text = CallbackData(choice: choice, shortID: longestID).text
            #expect(text.utf8.count <= 64, "\(text) is \(text.utf8.count) bytes")
        }
    }

    @Test(
        "anything not made by this hub's version 1 buttons is refused",
        arguments: [
            "", "v1", "v1:block_ip_1h", "v2:block_ip_1h:6f1c2a3b4d5e", "v1:block_ip_1h:6f1c2a3b4d5e:extra", "v1:format_disk:6f1c2a3b4d5e",
            "v1:confirm_block_ip_1h:6f1c2a3b4d5e", "v1:confirm_:6f1c2a3b4d5e", "v1:block_ip_1h:6f1c2a3b4d5", "v1:block_ip_1h:not-hex-at-all",
            "v1:block_ip_1h:" + String(repeating: "a", count: 33), "V1:block_ip_1h:6f1c2a3b4d5e", "v1::6f1c2a3b4d5e",
        ])
    func refused(_ text: String) {
        #expect(CallbackData(text) == nil)
    }
}
