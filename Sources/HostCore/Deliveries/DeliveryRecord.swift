import Foundation
import HTTPTypes
import JSON

/// One request to an integration as the delivery log keeps it: when, its id, the platform route, status and time,
/// the request (method, path, query, headers, body up to `DeliveryRecord.bodyLimit`) and the answer.
public struct DeliveryRecord: Sendable {
    /// The request as received, with its body capped.
    public struct Request: Sendable {
        public var method: String
        /// The percent-decoded path.
        public var path: String
        /// The raw query after `?`; empty when there is none.
        public var query: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The body's full length (more than `body.count` when it was capped).
        public var bodyBytes: Int
        /// The sender's address.
        public var peer: PeerAddress

        public init(
            method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8],
            peer: PeerAddress
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = DeliveryRecord.capped(body)
            self.bodyBytes = body.count
            self.peer = peer
        }
    }

    /// The answer the sender got: an integration's reply, an ack, or an error's JSON.
    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]
        public var bodyBytes: Int

        public init(status: Int, contentType: String?, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = DeliveryRecord.capped(body)
            self.bodyBytes = body.count
        }
    }

    /// The request id (`X-Request-Id`).
    public var id: String
    /// The id of the delivery this one replayed, for a replay.
    public var replayOf: String?
    public var time: Date
    public var integration: String
    /// The adapter that took it: `hipchat`, `slack`, `hooks`, …
    public var platform: String
    public var duration: Duration
    public var request: Request
    public var answer: Answer
    /// Whether secrets were already taken out (a record read back from a file); such a record replays as it is,
    /// so a request whose credentials were redacted is refused again.
    public var isRedacted = false

    public init(
        id: String, replayOf: String? = nil, time: Date = Date(), integration: String, platform: String,
        duration: Duration, request: Request, answer: Answer
    ) {
        self.id = id
        self.replayOf = replayOf
        self.time = time
        self.integration = integration
        self.platform = platform
        self.duration = duration
        self.request = request
        self.answer = answer
    }

    /// The most of a request or answer body kept: 64 KiB.
    public static let bodyLimit = 64 << 10

    static func capped(_ body: [UInt8]) -> [UInt8] {
        body.count <= bodyLimit ? body : Array(body.prefix(bodyLimit))
    }

    /// Header names whose values are always redacted: credentials, signatures, cookies, and anything named like a
    /// secret or token.
    static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["authorization", "cookie", "signature", "secret", "token", "key", "password", "jwt"]
            .contains { lower.contains($0) }
    }

    /// Query parameters whose values are always redacted.
    static func isSensitiveParameter(_ name: Substring) -> Bool {
        let lower = name.lowercased()
        return ["token", "secret", "key", "password", "signature", "signed_request", "jwt", "auth"]
            .contains { lower.contains($0) }
    }

    /// This record with secrets taken out: sensitive header and query values replaced by `[redacted]`, and
    /// `redact` (the log's whole-value redaction of configured secrets) applied to everything else.
    public func redacted(_ redact: ([UInt8]) -> [UInt8]) -> DeliveryRecord {
        guard !isRedacted else { return self }
        func text(_ value: String) -> String { String(decoding: redact(Array(value.utf8)), as: UTF8.self) }
        var copy = self
        copy.request.headers = request.headers.map { field in
            (field.name, DeliveryRecord.isSensitiveHeader(field.name) ? "[redacted]" : text(field.value))
        }
        copy.request.path = text(request.path)
        copy.request.query = text(request.query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals]
            return DeliveryRecord.isSensitiveParameter(name) ? "\(name)=[redacted]" : String(pair)
        }.joined(separator: "&"))
        copy.request.body = redact(request.body)
        copy.answer.body = redact(answer.body)
        copy.isRedacted = true
        return copy
    }

    /// The record as JSON (what `GET /integrations/NAME/deliveries` lists and the deliveries file holds). Call it
    /// on a redacted record.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id),
            "time": .string(DeliveryRecord.timeFormat.format(time)),
            "integration": .string(integration),
            "platform": .string(platform),
            "status": .number(Double(answer.status)),
            "duration_ms": .number((duration / .microseconds(1)).rounded() / 1000),
            "request": [
                "method": .string(request.method),
                "path": .string(request.path),
                "query": .string(request.query),
                "headers": .array(request.headers.map { .array([.string($0.name), .string($0.value)]) }),
                "body": .string(String(decoding: request.body, as: UTF8.self)),
                "body_bytes": .number(Double(request.bodyBytes)),
                "peer": .string(request.peer.host),
                "peer_port": .number(Double(request.peer.port)),
            ],
            "reply": [
                "status": .number(Double(answer.status)),
                "content_type": answer.contentType.map(JSONValue.string) ?? .null,
                "body": .string(String(decoding: answer.body, as: UTF8.self)),
                "body_bytes": .number(Double(answer.bodyBytes)),
            ],
        ]
        if let replayOf { object["replay_of"] = .string(replayOf) }
        return .object(object)
    }

    /// A record read back from `json`; `nil` when it is not one. It counts as redacted.
    public init?(json: JSONValue) {
        guard case .object(let object) = json, let id = object["id"]?.stringValue,
            let time = object["time"]?.stringValue.flatMap({ try? DeliveryRecord.timeFormat.parse($0) }),
            let integration = object["integration"]?.stringValue, let platform = object["platform"]?.stringValue,
            case .number(let milliseconds)? = object["duration_ms"],
            case .object(let request)? = object["request"], case .object(let reply)? = object["reply"],
            let method = request["method"]?.stringValue, let path = request["path"]?.stringValue,
            let query = request["query"]?.stringValue,
            case .array(let headerPairs)? = request["headers"], let body = request["body"]?.stringValue,
            let peer = request["peer"]?.stringValue, case .number(let status)? = reply["status"],
            let replyBody = reply["body"]?.stringValue
        else { return nil }
        var headers: [(name: String, value: String)] = []
        for pair in headerPairs {
            guard case .array(let parts) = pair, parts.count == 2, let name = parts[0].stringValue,
                let value = parts[1].stringValue
            else { return nil }
            headers.append((name, value))
        }
        var port = 0
        if case .number(let value)? = request["peer_port"] { port = Int(value) }
        self.init(
            id: id, replayOf: object["replay_of"]?.stringValue, time: time, integration: integration,
            platform: platform, duration: .microseconds(Int64(milliseconds * 1000)),
            request: Request(
                method: method, path: path, query: query, headers: headers, body: Array(body.utf8),
                peer: DeliveryRecord.peerAddress(peer, port: port)),
            answer: Answer(status: Int(status), contentType: reply["content_type"]?.stringValue, body: Array(replyBody.utf8)))
        if case .number(let bytes)? = request["body_bytes"] { self.request.bodyBytes = Int(bytes) }
        if case .number(let bytes)? = reply["body_bytes"] { self.answer.bodyBytes = Int(bytes) }
        isRedacted = true
    }

    /// `host` (as `PeerAddress.host` writes it) back as an address; the unspecified IPv4 address when unreadable.
    static func peerAddress(_ host: String, port: Int) -> PeerAddress {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return PeerAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) }, port: port)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return PeerAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) }, port: port)
        }
        return PeerAddress(bytes: [0, 0, 0, 0], port: port)
    }

    /// `2026-12-06T07:22:46.123Z`.
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
