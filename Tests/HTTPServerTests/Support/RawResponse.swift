import Foundation
import JSON

/// A parsed response as the test sees it, independent of the server's own code.
struct RawResponse: Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Parses one response from the front of `bytes`; `nil` if incomplete.
    static func parse(_ bytes: [UInt8]) -> (RawResponse, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator })
        else { return nil }
        let headText = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let bodyStart = end + 4
        if status < 200 { return (RawResponse(status: status, headers: headers, body: []), bodyStart) }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        guard bytes.count >= bodyStart + length else { return nil }
        return (RawResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<(bodyStart + length)])), bodyStart + length)
    }
}

extension RawResponse {
    var json: JSONValue? { try? JSONValue(parsing: body) }
}
