import Foundation

/// A `multipart/form-data` body (RFC 7578) for the one Bot API upload the hub makes (`sendDocument`).
struct MultipartForm {
    /// Random, so no field's content can contain it by accident.
    let boundary = "vigil-" + UUID().uuidString
    private(set) var body: [UInt8] = []

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func add(_ name: String, _ value: String) {
        part("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n", Array(value.utf8))
    }

    mutating func addFile(_ name: String, fileName: String, contentType: String, bytes: [UInt8]) {
        // The file name is the hub's own (host names are [A-Za-z0-9.-]); quotes and line breaks are dropped anyway.
        let safe = fileName.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" && $0 != "\\" }
        part("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(safe)\"\r\nContent-Type: \(contentType)\r\n\r\n", bytes)
    }

    private mutating func part(_ head: String, _ content: [UInt8]) {
        if !body.isEmpty { body.removeLast(Array("--\(boundary)--\r\n".utf8).count) }
        body += Array("--\(boundary)\r\n\(head)".utf8) + content + Array("\r\n--\(boundary)--\r\n".utf8)
    }
}
