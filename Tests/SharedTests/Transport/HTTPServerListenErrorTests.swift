import Foundation
import Logging
import Testing

@testable import Shared

@Suite("Listen errors say what to do")
struct HTTPServerListenErrorTests {
    @Test("a port already taken is reported as `cannot listen on host:port: address in use (is another … running?)`")
    func addressInUse() async throws {
        try await withTestServer(handler: EchoHandler()) { port in
            let second = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), handler: EchoHandler(), logger: Logger(label: "test"))
            let serving = Task { try await second.serve() }
            let error = await #expect(throws: HTTPServer.ListenError.self) { try await second.listeningPort() }
            _ = await serving.result
            let text = try #require(error).description
            #expect(text.hasPrefix("cannot listen on 127.0.0.1:\(port): address in use (is another "), "\(text)")
            #expect(text.contains("running?"))
            #expect(!text.contains("SocketError"))
        }
    }
}
