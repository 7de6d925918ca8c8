#if canImport(Glibc)
    import Glibc
#endif

/// Runs `body` with `posix_spawn` attributes that start the child with default signal dispositions and an empty mask.
///
/// Programs built on swift-service-lifecycle ignore or block SIGTERM and SIGINT to handle them themselves, and both are
/// inherited across exec: a child (journalctl, an agent under benchmark) would then never stop on SIGTERM.
public func withCleanSignalSpawnAttributes<T>(_ body: (inout posix_spawnattr_t) throws -> T) rethrows -> T {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    return try body(&attributes)
}
