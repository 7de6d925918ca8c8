#if canImport(Glibc)
    import Glibc
#endif

/// Sends signals to processes; a protocol so dry runs and tests can record instead of kill.
///
/// Signalling goes through a handle opened first: the caller opens it, checks (from /proc) that the pid is still the
/// process it means, then signals through the handle. With a pidfd the handle names that process, not its number:
/// once it exits, a signal fails with ESRCH even if the pid has been given to someone else meanwhile.
protocol ProcessSignaller: Sendable {
    /// A handle on `pid`, or the errno of the failure (ESRCH: no such process).
    func open(_ pid: Int32) -> Result<any SignalHandle, SignalFailure>
}

/// One process to signal.
protocol SignalHandle: Sendable {
    var pid: Int32 { get }
    /// Sends `signal`; returns 0 or the errno of the failure (ESRCH: the process has ended).
    func send(_ signal: Int32) -> Int32
}

/// An errno from opening a handle.
struct SignalFailure: Error, Equatable {
    let code: Int32
}

/// The kernel: `pidfd_open` + `pidfd_send_signal` (Linux 5.3+), or plain `kill(2)` where the kernel has no pidfds.
struct KernelSignaller: ProcessSignaller {
    func open(_ pid: Int32) -> Result<any SignalHandle, SignalFailure> {
        let descriptor = LinuxSyscall.call(LinuxSyscall.pidfdOpen, Int(pid), 0)
        if descriptor >= 0 { return .success(PidfdHandle(pid: pid, descriptor: Int32(descriptor))) }
        let code = errno
        // Only a kernel without the call falls back to kill(); any other failure (ESRCH, EMFILE) is reported.
        guard code == ENOSYS else { return .failure(SignalFailure(code: code)) }
        return .success(PidHandle(pid: pid))
    }
}

/// A pidfd: signals reach the process it was opened on, or nobody. Closed when the last reference goes.
final class PidfdHandle: SignalHandle {
    let pid: Int32
    let descriptor: Int32

    init(pid: Int32, descriptor: Int32) {
        self.pid = pid
        self.descriptor = descriptor
    }

    deinit {
        Glibc.close(descriptor)
    }

    func send(_ signal: Int32) -> Int32 {
        LinuxSyscall.call(LinuxSyscall.pidfdSendSignal, Int(descriptor), Int(signal), 0, 0) == 0 ? 0 : errno
    }
}

/// The fallback for kernels before 5.3: a pid, signalled with `kill(2)` (the /proc re-check narrows the reuse race).
struct PidHandle: SignalHandle {
    let pid: Int32

    func send(_ signal: Int32) -> Int32 {
        Glibc.kill(pid, signal) == 0 ? 0 : errno
    }
}

/// Raw Linux system calls that glibc does not wrap for Swift. `syscall(2)` is variadic, which Swift cannot call, so it
/// is looked up and called with a fixed five-argument type: on x86-64 and arm64 Linux a variadic callee receives
/// integer arguments in the same registers as a fixed-argument one, and `syscall` only moves registers into place.
enum LinuxSyscall {
    static let pidfdSendSignal = 424
    static let pidfdOpen = 434

    private typealias Function = @convention(c) (Int, Int, Int, Int, Int, Int) -> Int

    private static let function: Function? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall") else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()

    /// The call's result (-1 with `errno` set on failure; ENOSYS when `syscall` itself cannot be found).
    static func call(_ number: Int, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0, _ d: Int = 0) -> Int {
        guard let function else {
            errno = ENOSYS
            return -1
        }
        return function(number, a, b, c, d, 0)
    }
}
