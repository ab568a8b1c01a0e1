// libFuzzer entry point for the request-body decoders every webhook route runs on untrusted bytes: multipart
// (`MultipartDecoding`) and urlencoded forms (`FormDecoding`). Not a SwiftPM target: `.ci/fuzz-forms.sh` compiles it
// together with those two files (`swiftc -sanitize=fuzzer,address -parse-as-library`).
//
// Every input is decoded as a multipart body (never a crash; what comes out is within the limits), as a
// Content-Type (a boundary found is 1–70 printable characters) and as a form. Then the input is read as a list of
// parts and written as a multipart body the way clients write one: decoding it must give those parts back. And
// percent-encoding the input's text and decoding it must give the text back.

private let limits = MultipartDecoding.Limits(maxParts: 50, maxPartBytes: 4096, maxHeaderBytes: 512)
private let boundary = "----fuzzBoundary7MA4YWxk"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForms(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if let parts = try? MultipartDecoding.parts(input, boundary: boundary, limits: limits) {
        guard parts.count <= limits.maxParts, parts.allSatisfy({ $0.body.count <= limits.maxPartBytes }) else {
            fatalError("decoded parts past the limits")
        }
    }
    let text = String(decoding: input, as: UTF8.self)
    if let found = MultipartDecoding.boundary(contentType: text) {
        guard (1...70).contains(found.utf8.count), found.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else {
            fatalError("a boundary that is not 1-70 printable characters: \(found)")
        }
    }
    _ = FormDecoding.pairs(text)
    roundTripMultipart(input)
    roundTripPercentEncoding(text)
    return 0
}

/// The input as parts (separated by 0x00; in each, the name up to the first 0x01, then the body), written with a
/// boundary no body holds, must decode to the same names and bodies.
private func roundTripMultipart(_ input: [UInt8]) {
    let delimiter = Array("\r\n--\(boundary)".utf8)
    let written: [(name: String, body: [UInt8])] = input.split(separator: 0, omittingEmptySubsequences: false)
        .prefix(limits.maxParts).map { chunk in
            let split = chunk.firstIndex(of: 1) ?? chunk.endIndex
            // Printable ASCII without quotes or backslashes, short enough for the header limit.
            let name = String(decoding: chunk[..<split].filter { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
                .prefix(200), as: UTF8.self)
            let body = split < chunk.endIndex ? Array(chunk[(split + 1)...]) : []
            return (name.isEmpty ? "field" : name, Array(body.prefix(limits.maxPartBytes)))
        }
    guard !written.contains(where: { contains($0.body + [13, 10], delimiter) }) else { return }
    var body: [UInt8] = []
    for part in written {
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"\r\n\r\n".utf8)
        body += part.body + [13, 10]
    }
    body += Array("--\(boundary)--\r\n".utf8)
    let decoded: [MultipartDecoding.Part]
    do {
        decoded = try MultipartDecoding.parts(body, boundary: boundary, limits: limits)
    } catch {
        fatalError("a well-formed body was refused: \(error)")
    }
    guard decoded.map(\.name) == written.map(\.name), decoded.map(\.body) == written.map(\.body),
        decoded.allSatisfy({ $0.filename == nil })
    else { fatalError("multipart round trip changed the parts") }
}

/// `%XX` for every byte but unreserved ones; decoding that gives the text back, `+` as space or not.
private func roundTripPercentEncoding(_ text: String) {
    var encoded = ""
    for byte in text.utf8 {
        if (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D || byte == 0x2E
            || byte == 0x5F || byte == 0x7E
        {
            encoded.append(Character(Unicode.Scalar(byte)))
        } else {
            encoded += "%" + String(byte, radix: 16, uppercase: byte & 1 == 0).leftPadded
        }
    }
    guard FormDecoding.decode(encoded, plusIsSpace: true) == text, FormDecoding.decode(encoded, plusIsSpace: false) == text
    else { fatalError("percent-decoding did not give the text back") }
    let pairs = FormDecoding.pairs("a=\(encoded)&\(encoded)=b")
    guard pairs.count == 2, pairs[0] == ("a", text), pairs[1] == (text, "b") else {
        fatalError("a form of the encoded text did not decode to it")
    }
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

extension String {
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
