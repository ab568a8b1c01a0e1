import Foundation
import IntegrationContract
import JSON
import Logging

/// The variables one run of a manifest sees: the built-in sources (query, notification, payload, form, headers,
/// URL parameters, tokens, storage, environment) and the variables the run defines (regex captures, `into`, `set`).
/// Lives for one run, on one task.
final class ManifestScope {
    /// The names a template may start with besides the variables a manifest defines.
    static let builtins: Set<String> = [
        "query", "text", "message", "command", "platform", "event", "team", "request_id", "method", "path", "sender", "room", "channel",
        "payload", "form", "header", "param", "token", "tokens", "storage", "env", "error", "notification", "remote_addr",
        "remote_port",
    ]

    let invocation: Invocation
    /// Variables defined by the run: captures, `into` results, `set`, `error`.
    var variables: [String: JSONValue] = [:]
    /// `signature_failures: hard` (the default): a signature rule that does not hold ends the run.
    let signatureFailuresAreHard: Bool
    /// Why a signature rule did not hold, once one has not under `signatureFailuresAreHard`: no enclosing `any`
    /// tries another branch and no `not` turns it into a match.
    var signatureFailure: String?
    /// The values `parse_json` parsed, by `SOURCE.NAME` (a header's name lowercased).
    private var parsedJSON: [String: JSONValue] = [:]
    private var cachedPayload: JSONValue?
    private var cachedForm: [String: JSONValue]?
    private var cachedNotification: JSONValue?

    init(invocation: Invocation, signatureFailuresAreHard: Bool = true) {
        self.invocation = invocation
        self.signatureFailuresAreHard = signatureFailuresAreHard
    }

    var log: IntegrationLogger { invocation.log }

    /// Whether the run is traced (`Invocation.trace`).
    var isTraced: Bool { invocation.trace != nil }

    /// Records `path.kind: detail` when the run is traced and `path` is given; builds nothing otherwise.
    func note(_ path: String?, _ kind: String?, _ detail: @autoclosure () -> String) {
        guard let path, let trace = invocation.trace else { return }
        trace.record(kind.map { ManifestReader.join(path, $0) } ?? path, detail())
    }

    /// The value at a dot path, or nil when there is none.
    func lookup(_ path: [String]) -> JSONValue? {
        guard let root = path.first else { return nil }
        let rest = path.dropFirst()
        if let value = variables[root] { return ManifestScope.follow(value, rest) }
        if !parsedJSON.isEmpty, let name = rest.first,
            let value = parsedJSON[JSONParameter.key(source: root, name: name)]
        {
            return ManifestScope.follow(value, rest.dropFirst())
        }
        let notification = invocation.notification
        switch root {
        case "query": return leaf(.string(invocation.query), rest)
        case "text", "message": return leaf(.string(notification.text), rest)
        case "command": return notification.command.flatMap { leaf(.string($0), rest) }
        case "platform": return leaf(.string(notification.platform.rawValue), rest)
        case "event": return notification.event.flatMap { leaf(.string($0), rest) }
        case "team": return notification.team.flatMap { leaf(.string($0), rest) }
        case "request_id": return leaf(.string(invocation.requestID), rest)
        case "method": return leaf(.string(invocation.request.method.rawValue), rest)
        case "path": return leaf(.string(invocation.request.path), rest)
        case "remote_addr": return leaf(.string(invocation.request.peer.host), rest)
        case "remote_port": return leaf(.number(Double(invocation.request.peer.port)), rest)
        case "sender":
            guard let sender = notification.sender else { return nil }
            var members: [String: JSONValue] = ["id": .string(sender.id)]
            if let name = sender.name { members["name"] = .string(name) }
            if let handle = sender.handle { members["handle"] = .string(handle) }
            return ManifestScope.follow(.object(members), rest)
        case "room", "channel":
            guard let channel = notification.channel else { return nil }
            var members: [String: JSONValue] = ["id": .string(channel.id)]
            if let name = channel.name { members["name"] = .string(name) }
            return ManifestScope.follow(.object(members), rest)
        case "payload":
            return ManifestScope.follow(payload, rest)
        case "form":
            return ManifestScope.follow(.object(form), rest)
        case "header":
            guard let name = rest.first else {
                return .object(Dictionary(invocation.request.headers.map { ($0.name.lowercased(), .string($0.value)) },
                                          uniquingKeysWith: { first, _ in first }))
            }
            return invocation.request.headers[name].flatMap { leaf(.string($0), rest.dropFirst()) }
        case "param":
            guard let name = rest.first else {
                var members: [String: JSONValue] = [:]
                for item in invocation.request.queryItems where members[item.name] == nil {
                    members[item.name] = .string(item.value)
                }
                for (key, value) in invocation.routeParameters { members[key] = .string(value) }
                return .object(members)
            }
            let value = invocation.routeParameters[name] ?? invocation.request.queryParameter(name)
            return value.flatMap { leaf(.string($0), rest.dropFirst()) }
        case "token":
            return invocation.token.flatMap { leaf(.string($0), rest) }
        case "tokens":
            guard let name = rest.first else { return nil }
            return invocation.allTokens.global[name].flatMap { leaf(.string($0), rest.dropFirst()) }
        case "storage":
            guard let key = rest.first else { return nil }
            return invocation.storage.get(key).flatMap { ManifestScope.follow($0, rest.dropFirst()) }
        case "notification":
            let value = cachedNotification ?? invocation.notification.jsonValue
            cachedNotification = value
            return ManifestScope.follow(value, rest)
        case "env":
            guard let name = rest.first, rest.count == 1, let value = getenv(name) else { return nil }
            return .string(String(cString: value))
        default:
            return nil
        }
    }

    /// Parses each of `parameters` that the request carries as a JSON document, so that templates and rules
    /// reach into it (`{{form.payload.ref}}`). A value that is not JSON ends the run with 400; an absent one is
    /// left absent.
    func parseJSON(_ parameters: [JSONParameter]) throws(IntegrationError) {
        for parameter in parameters {
            guard let value = lookup([parameter.source, parameter.name]) else { continue }
            let text: String
            switch value {
            case .string(let string): text = string
            default: continue
            }
            do {
                parsedJSON[parameter.key] = try JSONValue(parsing: Array(text.utf8))
            } catch {
                throw IntegrationError.badRequest("parse_json: \(parameter) is not a JSON document: \(error)")
            }
        }
    }

    /// The decoded body: the notification's payload, else the body parsed as JSON, else the form fields.
    var payload: JSONValue {
        if let cachedPayload { return cachedPayload }
        var value = invocation.notification.payload
        if value.isNull, !invocation.request.body.isEmpty {
            value = (try? invocation.request.jsonBody()) ?? .object(form)
        }
        cachedPayload = value
        return value
    }

    /// Form fields of the body (first value of each name): a urlencoded form's, or a multipart body's fields and
    /// files as the platform layer decoded them.
    var form: [String: JSONValue] {
        if let cachedForm { return cachedForm }
        var members: [String: JSONValue] = [:]
        let contentType = invocation.request.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("multipart/form-data"), case .object(let parts) = invocation.notification.payload {
            members = parts
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            for field in invocation.request.formFields where members[field.name] == nil {
                members[field.name] = .string(field.value)
            }
        }
        cachedForm = members
        return members
    }

    func warnMissing(_ name: String) {
        log.warning("template variable '\(name)' is not set; rendered empty")
    }

    private func leaf(_ value: JSONValue, _ rest: ArraySlice<String>) -> JSONValue? {
        rest.isEmpty ? value : nil
    }

    static func follow(_ value: JSONValue, _ rest: ArraySlice<String>) -> JSONValue? {
        rest.isEmpty ? value : value.value(atPath: rest.joined(separator: "."))
    }
}
