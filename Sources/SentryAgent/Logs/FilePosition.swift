/// A hash of a file's first bytes: tells "the same file, grown" from "a new file at the same inode or path".
///
/// Inodes are reused and truncation keeps them, so an inode alone cannot say whether an offset still points into the
/// content it was measured in. The fingerprint covers at most `FileFingerprint.maximumLength` bytes; it starts shorter
/// on a young file and is extended as the file grows (only after the shorter prefix was checked to be unchanged).
struct FileFingerprint: Codable, Sendable, Equatable {
    /// How many leading bytes the hash covers (0 for an empty file, which matches anything).
    var length: Int
    /// FNV-1a 64 of those bytes.
    var hash: UInt64

    /// The longest prefix hashed: long enough to cover a timestamped first line and then some.
    static let maximumLength = 512

    static let empty = FileFingerprint(length: 0, hash: FNV1a.offsetBasis)

    /// The fingerprint of `bytes` (the first bytes of a file, at most `maximumLength` are used).
    init(prefix bytes: UnsafeBufferPointer<UInt8>) {
        let length = min(bytes.count, Self.maximumLength)
        self.length = length
        self.hash = FNV1a.hash(UnsafeBufferPointer(rebasing: bytes[0..<length]))
    }

    init(length: Int, hash: UInt64) {
        self.length = length
        self.hash = hash
    }

    /// True when `bytes` (a file's first bytes) start with the content this fingerprint was taken from.
    func matches(prefix bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= length else { return false }
        return FNV1a.hash(UnsafeBufferPointer(rebasing: bytes[0..<length])) == hash
    }
}

/// Where a follower stands in one file generation: enough to resume exactly after a restart.
struct FilePosition: Codable, Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    /// Bytes up to the end of the last complete line handed to the consumer.
    var offset: Int64
    var fingerprint: FileFingerprint
}

/// What a follower remembers about one followed path.
struct PathCheckpoint: Codable, Sendable, Equatable {
    /// The file generation now open at the path.
    var current: FilePosition?
    /// Rotated or deleted generations still being drained; on restart each is looked up by inode next to the path.
    var rotated: [FilePosition]?
}
