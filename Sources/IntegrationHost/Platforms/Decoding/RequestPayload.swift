import Foundation
import HTTPServer
import JSON

/// Decoding of a request body into a notification payload, by Content-Type.
enum RequestPayload {
    /// The body as a JSON value:
    /// - `application/json` (and `+json` types): the document; invalid JSON is a 400;
    /// - `application/x-www-form-urlencoded`: an object of strings (the first value of a repeated field wins);
    /// - anything else: a JSON document if the body parses as one, else the text as a JSON string;
    /// - an empty body: `null`.
    static func decode(_ request: HTTPRequest) throws(IntegrationError) -> JSONValue {
        if request.body.isEmpty { return .null }
        let type = mediaType(request.headers["Content-Type"])
        if type == "application/json" || type.hasSuffix("+json") {
            do {
                return try request.jsonBody()
            } catch {
                throw IntegrationError(status: 400, "body is not valid JSON: \(error)")
            }
        }
        if type == "application/x-www-form-urlencoded" { return formObject(request.formFields) }
        if let document = try? request.jsonBody() { return document }
        return .string(String(decoding: request.body, as: UTF8.self))
    }

    /// Form fields as a JSON object of strings; the first value of a repeated field wins.
    static func formObject(_ fields: [(name: String, value: String)]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for field in fields where object[field.name] == nil {
            object[field.name] = .string(field.value)
        }
        return .object(object)
    }

    /// `Application/JSON; charset=utf-8` → `application/json`.
    static func mediaType(_ contentType: String?) -> String {
        guard let contentType else { return "" }
        let type = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
            .drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let trimmed = type.reversed().drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.reversed()
        return String(decoding: trimmed, as: UTF8.self).lowercased()
    }
}
