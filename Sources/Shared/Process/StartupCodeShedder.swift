import FoundationEssentials
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Gives back the pages of a program's own code that only its start needed, once the start is over.
///
/// Why: the kernel maps a binary's code 64 KiB at a time (fault-around over large page-cache folios), and the start
/// runs code spread over the whole static binary (configuration, baselines, first scans), so after start most of the
/// binary is resident although the steady loop needs a fraction of it (README, "Footprint"). Once settled,
/// the read-only mappings of the executable are paged out (`MADV_PAGEOUT`: only pages no other process maps), the
/// binary's now unmapped page-cache pages are dropped (`POSIX_FADV_DONTNEED`) and the mappings are marked random
/// access (`MADV_RANDOM`: no read-ahead), so from then on the code that runs comes back 4 KiB at a time. The freed
/// heap is returned with `malloc_trim`. Nothing is lost: a page needed later is read again from the binary.
public struct StartupCodeShedder: Service {
    /// How long after start the agent is taken to be settled (first polls, baselines, first scans done).
    var settleTime: Duration
    let logger: Logger

    public init(settleTime: Duration = .seconds(10), logger: Logger) {
        self.settleTime = settleTime
        self.logger = logger
    }

    public func run() async throws {
        // A stop while settling ends the wait at once: a program stopped soon after its start must not wait for it.
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: settleTime) }
        } catch {
            return  // stopped before settling: nothing to give back
        }
        let report = Self.shed()
        logger.info(
            "start-up code given back",
            metadata: ["mappings": "\(report.mappings)", "bytes": "\(report.bytes)", "file_dropped": "\(report.droppedFileCache)"])
        // A service that returns would end a service group that does not ignore it: stay until the program stops.
        try? await gracefulShutdown()
    }

    public struct Report: Equatable {
        /// Read-only mappings of the executable advised.
        public var mappings = 0
        /// Their total length.
        public var bytes = 0
        /// Whether the binary's page cache could be dropped (false when it was replaced on disk since start).
        public var droppedFileCache = false
    }

    /// Pages out and re-advises the read-only mappings of `/proc/self/exe`; see the type's comment.
    public static func shed() -> Report {
        var report = Report()
        guard let executable = ownExecutable(), let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else {
            return report
        }
        for mapping in Self.readOnlyMappings(of: executable, in: maps) {
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            let length = Int(mapping.end - mapping.start)
            // Either may fail on an old kernel (EINVAL): the mapping then just stays as it is.
            _ = madvise(start, length, MADV_PAGEOUT)
            _ = madvise(start, length, MADV_RANDOM)
            report.mappings += 1
            report.bytes += length
        }
        let descriptor = open(executable, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            report.droppedFileCache = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) == 0
            close(descriptor)
        }
        _ = mallocTrim?(0)
        return report
    }

    /// The address ranges of `executable`'s mappings that are not writable (code and read-only data). A
    /// `/proc/self/maps` line is `start-end perms offset dev inode` and, after padding, the path (the only field with
    /// a slash).
    public static func readOnlyMappings(of executable: String, in maps: String) -> [(start: UInt, end: UInt)] {
        maps.split(separator: "\n").compactMap { line in
            guard let slash = line.firstIndex(of: "/"), line[slash...] == executable[...] else { return nil }
            let fields = line[..<slash].split(separator: " ")
            guard fields.count == 5, fields[1].first == "r", !fields[1].contains("w") else { return nil }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start else {
                return nil
            }
            return (start, end)
        }
    }

    /// glibc's `malloc_trim` (`<malloc.h>` is not in the Glibc module): returns freed heap pages to the system.
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    private static let mallocTrim: MallocTrim? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map {
        unsafeBitCast($0, to: MallocTrim.self)
    }

    private static func ownExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
