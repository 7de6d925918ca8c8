import Foundation
import Logging
import Shared
import Testing

@testable import SentryAgent

@Suite("Agent /response endpoint")
struct ResponseRoutesTests {
    @Test("an unsigned command is refused with 401 and an empty body")
    func unsignedIsRefused() async throws {
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [AgentKey.generate()]]))
        let router = ResponseRoutes.make(verifier: verifier, logger: Logger(label: "test"))
        let response = await router.handle(HTTPRequest(method: "POST", target: "/response", body: Array("{\"action\":\"reboot\"}".utf8)))
        #expect(response.status == .unauthorized)
        #expect(response.body.isEmpty)
    }
}
