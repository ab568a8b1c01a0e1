import Foundation
import HTTPServer
import HTTPTypes
import IntegrationContract
import JSON

/// Decoding of a request body into a notification payload, by Content-Type.
enum RequestPayload {
    /// A decoded body: a JSON document (checked, with the values at the paths asked for, and parsed whole only on
    /// use), or the value a form or text body decodes to. `raw` is the request body as it came; `form` the form
    /// body a document came wrapped in (`payload=…`), if it did.
    enum Decoded {
        case document(JSONPick, body: [UInt8], form: [UInt8]?)
        case value(JSONValue, raw: [UInt8])

        /// The value at one of the picked paths.
        func value(atPath path: String) -> JSONValue? {
            switch self {
            case .document(let pick, _, _): return pick[path]
            case .value(let value, _): return value.value(atPath: path)
            }
        }

        /// The body's text when it is a string (a text body, or a JSON document that is one string).
        var string: String? {
            switch self {
            case .document(let pick, _, _): return pick.scalarRoot?.stringValue
            case .value(let value, _): return value.stringValue
            }
        }

        /// The whole payload as a value (parses a JSON document).
        var whole: JSONValue {
            switch self {
            case .document(_, let body, _): return (try? JSONValue(parsing: body)) ?? .null
            case .value(let value, _): return value
            }
        }

        /// Makes this the notification's payload, and the request body its raw body.
        func store(in notification: inout Notification) {
            switch self {
            case .document(_, let body, let form):
                notification.setCheckedJSONBody(body)
                if let form { notification.rawBody = form }
            case .value(let value, let raw):
                notification.rawBody = raw
                notification.payload = value
            }
        }
    }

    /// The body as a JSON value:
    /// - `application/json` (and `+json` types): the document; invalid JSON is a 400;
    /// - `multipart/form-data`: an object of fields and files (`multipartObject`);
    /// - `application/x-www-form-urlencoded`: an object of strings (the first value of a repeated field wins); with
    ///   `unwrappingFormPayload`, a form whose only field is `payload` holding a JSON document is that document
    ///   (GitHub's form content type); a body with no `=` at all is text, not a field name (`curl -d 'hello'`);
    /// - anything else: a JSON document if the body parses as one, else the text as a JSON string;
    /// - an empty body: `null`.
    static func decode(_ request: HTTPRequest) throws(IntegrationError) -> JSONValue {
        try decode(request, picking: .none).whole
    }

    /// `decode(_:)`, reading only the values at `paths` of a JSON document.
    static func decode(
        _ request: HTTPRequest, picking paths: JSONPaths, unwrappingFormPayload: Bool = false
    ) throws(IntegrationError) -> Decoded {
        let body = request.body
        if body.isEmpty { return .value(.null, raw: body) }
        let type = MediaType(request.headers["Content-Type"])
        if type.is("application/json") || type.hasSuffix("+json") {
            do {
                return .document(try JSONValue.pick(paths, from: body), body: body, form: nil)
            } catch {
                throw IntegrationError.badRequest("body is not valid JSON: \(error)")
            }
        }
        if type.is("application/x-www-form-urlencoded"), body.contains(UInt8(ascii: "=")) {
            let fields = request.formFields
            if unwrappingFormPayload, fields.count == 1, fields[0].name == "payload" {
                let document = Array(fields[0].value.utf8)
                guard let pick = try? JSONValue.pick(paths, from: document) else {
                    throw IntegrationError.badRequest("the form field payload is not valid JSON")
                }
                return .document(pick, body: document, form: body)
            }
            return .value(formObject(fields), raw: body)
        }
        if type.is("multipart/form-data") {
            return .value(try multipartObject(body, contentType: request.headers["Content-Type"] ?? ""), raw: body)
        }
        if let pick = try? JSONValue.pick(paths, from: body) { return .document(pick, body: body, form: nil) }
        return .value(.string(String(decoding: body, as: UTF8.self)), raw: body)
    }

    /// A `multipart/form-data` body as a JSON object: a field as its text, a file as `{"filename", "content_type",
    /// "size", "content"}` (the content as text); the first part of a repeated name wins. A malformed body, or one
    /// past `MultipartDecoding.Limits.standard`, is a 400.
    static func multipartObject(_ body: [UInt8], contentType: String) throws(IntegrationError) -> JSONValue {
        guard let boundary = MultipartDecoding.boundary(contentType: contentType) else {
            throw IntegrationError.badRequest("multipart/form-data without a valid boundary parameter")
        }
        let parts: [MultipartDecoding.Part]
        do {
            parts = try MultipartDecoding.parts(body, boundary: boundary)
        } catch {
            throw IntegrationError.badRequest("multipart body: \(error.reason)")
        }
        var object: [String: JSONValue] = [:]
        for part in parts where object[part.name] == nil {
            let text = JSONValue.string(String(decoding: part.body, as: UTF8.self))
            guard let filename = part.filename else {
                object[part.name] = text
                continue
            }
            object[part.name] = .object([
                "filename": .string(filename), "content_type": part.contentType.map(JSONValue.string) ?? .null,
                "size": .number(Double(part.body.count)), "content": text,
            ])
        }
        return .object(object)
    }

    /// Form fields as a JSON object of strings; the first value of a repeated field wins.
    static func formObject(_ fields: [(name: String, value: String)]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for field in fields where object[field.name] == nil {
            object[field.name] = .string(field.value)
        }
        return .object(object)
    }
}

/// The media type of a Content-Type value (`Application/JSON; charset=utf-8` → `application/json`), compared
/// without building a lowercased copy.
struct MediaType {
    private let name: Substring.UTF8View

    init(_ contentType: String?) {
        let value = (contentType ?? "")[...].utf8
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let type = value.prefix { $0 != UInt8(ascii: ";") }
        let start = type.firstIndex { !isSpace($0) } ?? type.endIndex
        let end = type.lastIndex { !isSpace($0) }.map { type.index(after: $0) } ?? start
        name = value[start..<end]
    }

    /// Whether the media type is `lowercased` (given in lowercase), in any case.
    func `is`(_ lowercased: String) -> Bool {
        name.count == lowercased.utf8.count && MediaType.equalIgnoringCase(name, lowercased.utf8)
    }

    /// Whether the media type ends with `lowercased` (given in lowercase), in any case.
    func hasSuffix(_ lowercased: String) -> Bool {
        name.count >= lowercased.utf8.count && MediaType.equalIgnoringCase(name.suffix(lowercased.utf8.count), lowercased.utf8)
    }

    private static func equalIgnoringCase(_ text: some Sequence<UInt8>, _ lowercased: some Sequence<UInt8>) -> Bool {
        text.elementsEqual(lowercased) { byte, expected in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == expected : byte == expected
        }
    }
}
