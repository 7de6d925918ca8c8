import Foundation
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

/// The client's transport (libcurl) where the fake Bot API cannot reach: servers that never answer or answer too
/// much, cancellation while a request hangs, a proxy from the environment, and TLS verification.
@Suite("Telegram client transport: timeouts, cancellation, reply bound, proxy, TLS", .serialized, .system)
struct TelegramClientTransportTests {
    static let token = "7000000001:transport-test-secret"
    static let bot = Array(#"{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Vigil","username":"vigil_test_bot"}}"#.utf8)

    static func client(_ server: ScriptedHTTPServer, _ configure: (inout TelegramClient.Limits) -> Void = { _ in }) -> TelegramClient {
        var limits = TelegramClient.Limits()
        configure(&limits)
        return TelegramClient(apiURL: "http://127.0.0.1:\(server.port)", token: token, limits: limits)
    }

    @Test("a server that accepts and never answers fails the call after the request timeout, as a transient network error")
    func requestTimeout() async throws {
        try await ScriptedHTTPServer.withServer(.silent) { server in
            let client = Self.client(server) { $0.request = .seconds(1) }
            let started = ContinuousClock.now
            let error = await #expect(throws: TelegramError.self) { _ = try await client.getMe() }
            let elapsed = ContinuousClock.now - started
            #expect(server.requests.count == 1)
            // The configured 1 s, not the default 30 s: the upper bound leaves room for a loaded machine (4.2 s seen
            // when the whole suite ran beside two release builds).
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(10))
            #expect(error?.code == 0)
            #expect(error?.isTransient == true)
            #expect(error?.detail.contains("timed out") == true)
            #expect(error?.description.contains(Self.token) == false)
        }
    }

    @Test("a long poll is allowed its own timeout plus the grace, then fails")
    func longPollTimeout() async throws {
        try await ScriptedHTTPServer.withServer(.silent) { server in
            let client = Self.client(server) {
                $0.request = .milliseconds(200)
                $0.longPollGrace = .milliseconds(500)
            }
            let started = ContinuousClock.now
            let error = await #expect(throws: TelegramError.self) { _ = try await client.getUpdates(offset: nil, timeout: 1) }
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(1400))
            #expect(elapsed < .seconds(4))
            #expect(error?.detail.contains("timed out") == true)
        }
    }

    @Test("cancelling a call while the server holds it returns within a second")
    func cancellationIsPrompt() async throws {
        try await ScriptedHTTPServer.withServer(.silent) { server in
            let client = Self.client(server)
            let poll = Task { try await client.getUpdates(offset: nil, timeout: 30) }
            try await server.waitForRequests(1)
            let cancelled = ContinuousClock.now
            poll.cancel()
            let result = await poll.result
            #expect(ContinuousClock.now - cancelled < .seconds(1))
            #expect(throws: TelegramError(method: "getUpdates", code: 0, detail: "cancelled")) { try result.get() }
        }
    }

    @Test("a call from an already cancelled task does not reach the network")
    func cancelledBeforeStart() async throws {
        try await ScriptedHTTPServer.withServer(.answer(ScriptedHTTPServer.reply(body: Self.bot))) { server in
            let client = Self.client(server)
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.getMe()
            }
            let error = await #expect(throws: TelegramError.self) { try await call.value }
            #expect(error?.detail == "cancelled")
            // A later call on the same client works: the positive signal that the server was up all along.
            let bot = try await client.getMe()
            #expect(bot.username == "vigil_test_bot")
            #expect(server.requests.count == 1)
        }
    }

    @Test(
        "a reply larger than the bound is refused, not buffered, and is not retried as transient",
        arguments: [true, false])
    func oversizedReply(declaringLength: Bool) async throws {
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: 2 << 20)
        let reply = ScriptedHTTPServer.reply(body: huge, declaringLength: declaringLength)
        try await ScriptedHTTPServer.withServer(.answer(reply)) { server in
            let client = Self.client(server) { $0.replyBytes = 64 << 10 }
            let error = await #expect(throws: TelegramError.self) { _ = try await client.getMe() }
            #expect(error?.code == -1)
            #expect(error?.isTransient == false)
            #expect(error?.detail == "reply larger than 65536 bytes refused")
        }
    }

    @Test("a reply within the bound is accepted")
    func replyWithinBound() async throws {
        try await ScriptedHTTPServer.withServer(.answer(ScriptedHTTPServer.reply(body: Self.bot, declaringLength: false))) { server in
            let client = Self.client(server) { $0.replyBytes = Self.bot.count }
            let bot = try await client.getMe()
            #expect(bot.id == 7_000_000_001)
        }
    }

    @Test("http_proxy from the environment carries the calls, and no_proxy keeps listed hosts direct")
    func proxyFromEnvironment() async throws {
        try await ScriptedHTTPServer.withServer(.answer(ScriptedHTTPServer.reply(body: Self.bot))) { proxy in
            try await ScriptedHTTPServer.withServer(.answer(ScriptedHTTPServer.reply(body: Self.bot))) { origin in
                // 127.0.0.1 stays direct (every other test in this process talks to it); 127.0.0.2 has no server
                // at all, so only the proxy can answer for it.
                try await Self.withEnvironment(["http_proxy": "http://127.0.0.1:\(proxy.port)", "no_proxy": "127.0.0.1,localhost"]) {
                    let proxied = TelegramClient(apiURL: "http://127.0.0.2:9", token: Self.token)
                    let throughProxy = try await proxied.getMe()
                    #expect(throughProxy.username == "vigil_test_bot")
                    #expect(proxy.requests.first?.hasPrefix("POST http://127.0.0.2:9/bot\(Self.token)/getMe HTTP/1.1\r\n") == true)

                    let direct = try await Self.client(origin).getMe()
                    #expect(direct.username == "vigil_test_bot")
                    #expect(origin.requests.first?.hasPrefix("POST /bot\(Self.token)/getMe HTTP/1.1\r\n") == true)
                    #expect(proxy.requests.count == 1)
                }
            }
        }
    }

    static let openssl = "/usr/bin/openssl"

    @Test(
        "a server whose certificate no trusted authority signed is refused",
        .enabled(if: FileManager.default.isExecutableFile(atPath: openssl), "needs the openssl command (package openssl)"))
    func selfSignedCertificateRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("key.pem").path
        let certificate = directory.appendingPathComponent("cert.pem").path
        // Valid in every way but its issuer: the name and address match, so only the missing trust can fail it.
        let made = try await Self.run(
            Self.openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ])
        try #require(made == 0, "openssl req failed")

        let port = try Self.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.openssl)
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key, "-www", "-quiet"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test runner's blocked signals are inherited, so a SIGTERM would be held and the wait never end
        // (why this test once hung).
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        try await Self.waitUntilListening(port)

        let client = TelegramClient(apiURL: "https://127.0.0.1:\(port)", token: Self.token)
        let error = await #expect(throws: TelegramError.self) { _ = try await client.getMe() }
        #expect(error?.code == 0)
        #expect(error?.detail.contains("certificate") == true, "\(String(describing: error))")
    }

    // MARK: helpers

    /// Sets `variables` for the duration of `body`, then restores what was there.
    static func withEnvironment(_ variables: [String: String], _ body: () async throws -> Void) async throws {
        let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
        for (name, value) in variables { setenv(name, value, 1) }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        try await body()
    }

    static func run(_ program: String, _ arguments: [String]) async throws -> Int32 {
        try await ProgramRun.run([program] + arguments).status
    }

    /// A loopback port nothing listens on right now (bound, read, released).
    static func freePort() throws -> UInt16 {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { _ = close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0 }
        }
        try #require(bound, "cannot bind a probe socket: errno \(errno)")
        return UInt16(bigEndian: address.sin_port)
    }

    /// Waits for a TCP connection to `port` to succeed: the server is up.
    static func waitUntilListening(_ port: UInt16) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            _ = close(probe)
            if connected { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("nothing listens on 127.0.0.1:\(port) after 10 s")
    }
}
