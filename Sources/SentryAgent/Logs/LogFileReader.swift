#if canImport(Glibc)
    import Glibc
#endif

/// Reads whole log files (plain, or gzip through `gzip -dc`) into a `LineConsumer`: the offline side of `replay`.
struct LogFileReader {
    let maxLineBytes: Int
    /// Lines handed to consumers so far, over all files.
    private(set) var lines = 0
    /// Over-long lines cut to `maxLineBytes`, over all files.
    private(set) var truncatedLines = 0
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    init(maxLineBytes: Int = 16_384) {
        self.maxLineBytes = maxLineBytes
    }

    /// Reads `path` to its end; an unterminated last line is handed over too (the file is complete).
    mutating func read<Consumer: LineConsumer>(_ path: String, into consumer: inout Consumer) throws(LogFileReaderError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LogFileReaderError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        // A directory opens fine and then reads as an error, which would pass for an empty log ("0 lines").
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            close(descriptor)
            throw LogFileReaderError(description: "\(path) is a directory, not a log file")
        }
        var magic: [UInt8] = [0, 0]
        let isGzip = pread(descriptor, &magic, 2, 0) == 2 && magic == [0x1F, 0x8B]
        if isGzip {
            close(descriptor)
            let child: ChildProcess
            do {
                child = try ChildProcess(argv: ["gzip", "-dc", "--", path])
            } catch {
                throw LogFileReaderError(description: "cannot decompress \(path): \(error)")
            }
            let readError = readStream(child.output, stream: FNV1a.hash(path), into: &consumer)
            guard child.waitForExit() == 0 else { throw LogFileReaderError(description: "gzip -dc failed on \(path)") }
            if let readError { throw LogFileReaderError(description: "cannot read \(path): \(String(cString: strerror(readError)))") }
        } else {
            defer { close(descriptor) }
            if let readError = readStream(descriptor, stream: FNV1a.hash(path), into: &consumer) {
                throw LogFileReaderError(description: "cannot read \(path): \(String(cString: strerror(readError)))")
            }
        }
    }

    /// Reads to the end of `descriptor`; returns the `errno` of a failed read (the lines before it were handed over).
    private mutating func readStream<Consumer: LineConsumer>(_ descriptor: Int32, stream: UInt64, into consumer: inout Consumer) -> Int32? {
        var failure: Int32?
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var offset: Int64 = 0
        var count = 0
        while true {
            let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if read < 0, errno == EINTR { continue }
            if read < 0 { failure = errno }
            guard read > 0 else { break }
            let chunkStart = offset
            buffer.withUnsafeBufferPointer { all in
                _ = splitter.feed(UnsafeBufferPointer(rebasing: all[0..<read])) { line, end in
                    count += 1
                    consumer.consume(line, origin: LineOrigin(stream: stream, offset: chunkStart + Int64(end)))
                }
            }
            offset += Int64(read)
            _ = consumer.flush()
        }
        let tail = splitter.reset()
        if !tail.isEmpty {
            count += 1
            tail.withUnsafeBufferPointer { consumer.consume($0, origin: LineOrigin(stream: stream, offset: offset)) }
        }
        _ = consumer.flush()
        lines += count
        truncatedLines += splitter.truncatedLines
        return failure
    }
}

/// Why a log file could not be read.
struct LogFileReaderError: Error, CustomStringConvertible {
    let description: String
}
