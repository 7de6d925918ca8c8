import ServiceLifecycle

extension HTTPServer: Service {
    /// Serves until the service group's graceful shutdown (SIGTERM/SIGINT), then stops accepting and closes connections.
    public nonisolated func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.serve()
        }
    }
}
