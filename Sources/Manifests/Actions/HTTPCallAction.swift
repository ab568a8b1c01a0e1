import Foundation
import HTTPClient
import IntegrationContract
import JSON

/// `{"http": {"method", "url", "headers", "json" | "body" + "content_type", "timeout"}}`: an outbound request,
/// for example a post to a chat API with a token from the environment, through the host's `OutboundClient`. The
/// result is `{"status", "body", "json"}`; a status outside 200-299, a network error or a response over 1 MiB is a
/// failure (502 by default), the timeout (for the whole exchange, redirects included) a 504.
struct HTTPCallAction: ActionStep {
    enum Body: Sendable {
        case none
        case json(JSONTemplate)
        case text(Template, contentType: String, escape: TemplateEscape)
    }

    let method: String
    let url: Template
    let headers: [(name: String, value: Template)]
    let body: Body
    let timeout: Double

    static let maxResponseBytes = 1 << 20
    /// Placeholder roots whose values are credentials: a header reading one never follows a redirect to another
    /// origin.
    static let secretRoots: Set<String> = ["env", "token", "tokens"]
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

    static func decode(_ value: JSONValue, at path: String, context: ManifestDecodingContext) -> HTTPCallAction? {
        let reader = context.reader
        guard let members = reader.object(
            value, at: path, allowed: ["method", "url", "headers", "json", "body", "content_type", "timeout"])
        else { return nil }
        let before = reader.problems.count
        let method = (reader.string(members, "method", at: path) ?? "POST").uppercased()
        if !methods.contains(method) {
            reader.fail(ManifestReader.join(path, "method"), "must be one of: \(methods.sorted().joined(separator: ", "))")
        }
        let url = context.template(members, "url", at: path, required: true)
        if let url, case .literal(let start)? = url.parts.first,
            !(start.lowercased().hasPrefix("http://") || start.lowercased().hasPrefix("https://"))
        {
            reader.fail(ManifestReader.join(path, "url"), "must start with http:// or https:// (or with a placeholder)")
        }
        var headers: [(name: String, value: Template)] = []
        if let headerValue = members["headers"], let pairs = reader.stringMap(headerValue, at: ManifestReader.join(path, "headers")) {
            for pair in pairs {
                if let template = context.template(pair.value, at: ManifestReader.join(ManifestReader.join(path, "headers"), pair.key)) {
                    headers.append((pair.key, template))
                }
            }
        }
        var body = Body.none
        if members["json"] != nil && members["body"] != nil {
            reader.fail(path, "has both json and body; use one")
        } else if let json = members["json"] {
            if let template = JSONTemplate(json, at: ManifestReader.join(path, "json"), context: context) { body = .json(template) }
            if members["content_type"] != nil {
                reader.fail(ManifestReader.join(path, "content_type"), "is application/json with json; use headers to change it")
            }
        } else if let text = context.template(members, "body", at: path) {
            let contentType = reader.string(members, "content_type", at: path) ?? "text/plain; charset=utf-8"
            let lowered = contentType.lowercased()
            let escape: TemplateEscape = lowered.contains("json") ? .json : lowered.contains("x-www-form-urlencoded") ? .url : .none
            body = .text(text, contentType: contentType, escape: escape)
        }
        let timeout = reader.number(members, "timeout", at: path, in: 0.001...300) ?? 10
        guard reader.problems.count == before, let url else { return nil }
        return HTTPCallAction(method: method, url: url, headers: headers, body: body, timeout: timeout)
    }

    var waits: Bool { true }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        let text = url.render(in: scope, escape: .url, leadingRaw: true)
        guard let target = URL(string: text), let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = target.host, !host.isEmpty
        else {
            throw ActionFailure(.internalError("http: the URL is not an http(s) URL (is its environment variable set?)"))
        }
        var request = OutboundRequest(method: method, url: target, secretHeaderNames: secretHeaderNames)
        switch body {
        case .none:
            break
        case .json(let template):
            request.headers.append(("Content-Type", "application/json"))
            request.body = template.render(in: scope).serializedBytes()
        case .text(let template, let contentType, let escape):
            request.headers.append(("Content-Type", contentType))
            request.body = Array(template.render(in: scope, escape: escape).utf8)
        }
        for header in headers {
            request.headers.removeAll { $0.name.caseInsensitiveCompare(header.name) == .orderedSame }
            request.headers.append((header.name, header.value.render(in: scope, escape: .header)))
        }
        let response: OutboundResponse
        do {
            response = try await HTTPCallAction.client.send(request, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch .timedOut {
            throw ActionFailure(.timedOut("http: \(method) to \(host) did not answer within \(timeout) s"))
        } catch {
            throw ActionFailure(.badGateway("http: \(method) to \(host) failed: \(error)"))
        }
        let status = response.status
        let bytes = response.body
        let result: JSONValue = [
            "status": .number(Double(status)),
            "body": .string(String(decoding: bytes, as: UTF8.self)),
            "json": (try? JSONValue(parsing: bytes)) ?? .null,
        ]
        guard (200...299).contains(status) else {
            throw ActionFailure(.badGateway("http: \(method) to \(host) answered \(status)"), result: result)
        }
        return result
    }

    /// Names (lower-cased) of the headers whose templates read a credential (`env`, `token`, `tokens`).
    var secretHeaderNames: Set<String> {
        Set(headers.filter { $0.value.placeholders.contains { !HTTPCallAction.secretRoots.isDisjoint(with: $0.roots) } }
            .map { $0.name.lowercased() })
    }

    /// No cookies, no cache: every call stands alone.
    static let client = OutboundClient(maxResponseBytes: maxResponseBytes)
}

extension HTTPCallAction {
    /// `GET answered 200`.
    func traceSummary(result: JSONValue?, reply: Reply?) -> String {
        "\(method) answered \(result?["status"]?.intValue.map(String.init) ?? "nothing")"
    }
}
