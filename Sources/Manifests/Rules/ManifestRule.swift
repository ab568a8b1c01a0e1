import Foundation
import HTTPTypes
import JSON

/// A trigger rule, after adnanh/webhook's model: `all`/`any`/`not` over the match types `match` (a value equals
/// another), `regex` (named groups become variables), `signature` (HMAC-SHA1, -SHA256 or -SHA512 of the raw body
/// in a header, which may list several),
/// `token` (a header equals a secret), `ip` (the peer is in an allow list) and `verified` (the platform's
/// signature or credential was checked against a configured secret: a Slack signature, a HipChat JWT, … — see
/// `SenderProof`).
indirect enum ManifestRule: Sendable {
    case all([ManifestRule])
    case any([ManifestRule])
    case not(ManifestRule)
    case match(value: Template, equals: Template)
    case regex(value: Template, regex: SafeRegex)
    case signature(SignatureCheck)
    case token(header: String, prefix: String, secret: Template)
    case ip([IPRange])
    case verified

    /// How a `signature` header is encoded.
    enum DigestEncoding: String, Sendable {
        case hex, base64
    }

    /// The hash function a `signature` HMAC uses.
    enum SignatureAlgorithm: String, Sendable, CaseIterable {
        case sha1, sha256, sha512
    }

    /// An HMAC signature over the raw body, carried in a header. The header may list several signatures separated
    /// by commas (`sha1=…,sha256=…`); the check passes when one of those with `prefix` matches.
    struct SignatureCheck: Sendable {
        let header: String
        let secret: Template
        let algorithm: SignatureAlgorithm
        let encoding: DigestEncoding
        /// Text before the digest, such as `sha256=`.
        let prefix: String
    }

    static let kinds = ["all", "any", "not", "match", "regex", "signature", "token", "ip", "verified"]

    /// How many regular expressions evaluating this rule may run.
    var regexCount: Int {
        switch self {
        case .all(let rules), .any(let rules): return rules.reduce(0) { $0 + $1.regexCount }
        case .not(let inner): return inner.regexCount
        case .regex: return 1
        case .match, .signature, .token, .ip, .verified: return 0
        }
    }

    /// The status a mismatch answers with when `on_mismatch` does not say: 401 for credentials, 403 for
    /// addresses, 400 otherwise.
    var defaultMismatchStatus: Int {
        switch self {
        case .signature, .token, .verified: return 401
        case .ip: return 403
        case .not(let inner): return inner.defaultMismatchStatus
        case .all(let rules), .any(let rules): return rules.map(\.defaultMismatchStatus).max() ?? 400
        case .match, .regex: return 400
        }
    }

    /// Reads a rule object; `extraKeys` are sibling keys the caller handles (`on_mismatch`).
    static func decode(
        _ value: JSONValue, at path: String, context: ManifestDecodingContext, extraKeys: Set<String> = []
    ) -> ManifestRule? {
        let reader = context.reader
        guard let members = reader.object(value, at: path, allowed: Set(kinds).union(extraKeys)),
            let kind = reader.kind(members, at: path, kinds: kinds), let body = members[kind]
        else { return nil }
        let here = ManifestReader.join(path, kind)
        switch kind {
        case "all", "any":
            guard case .array(let elements) = body, !elements.isEmpty else {
                reader.fail(here, "must be a non-empty array of rules")
                return nil
            }
            var rules: [ManifestRule] = []
            for (index, element) in elements.enumerated() {
                if let rule = decode(element, at: ManifestReader.join(here, index), context: context) { rules.append(rule) }
            }
            guard rules.count == elements.count else { return nil }
            return kind == "all" ? .all(rules) : .any(rules)
        case "not":
            return decode(body, at: here, context: context).map { .not($0) }
        case "match":
            guard let fields = reader.object(body, at: here, allowed: ["value", "equals"]) else { return nil }
            let value = context.template(fields, "value", at: here, required: true)
            let equals = context.template(fields, "equals", at: here, required: true)
            guard let value, let equals else { return nil }
            return .match(value: value, equals: equals)
        case "regex":
            return decodeRegex(body, at: here, context: context)
        case "signature":
            guard let fields = reader.object(body, at: here, allowed: ["header", "secret", "algorithm", "encoding", "prefix"]) else {
                return nil
            }
            let algorithmName = reader.string(fields, "algorithm", at: here) ?? "sha256"
            let algorithm = SignatureAlgorithm(rawValue: algorithmName)
            if algorithm == nil {
                reader.fail(ManifestReader.join(here, "algorithm"), "must be \"sha1\", \"sha256\" or \"sha512\"")
            }
            let header = reader.string(fields, "header", at: here, required: true)
            let secret = context.template(fields, "secret", at: here, required: true)
            let encodingName = reader.string(fields, "encoding", at: here) ?? "hex"
            let encoding = DigestEncoding(rawValue: encodingName)
            if encoding == nil { reader.fail(ManifestReader.join(here, "encoding"), "must be \"hex\" or \"base64\"") }
            let prefix = reader.string(fields, "prefix", at: here) ?? ""
            let headerOK = header.map { checkHeaderName($0, at: here, reader: reader) } ?? false
            guard let header, let secret, let algorithm, let encoding, headerOK else { return nil }
            return .signature(
                SignatureCheck(header: header, secret: secret, algorithm: algorithm, encoding: encoding, prefix: prefix))
        case "token":
            guard let fields = reader.object(body, at: here, allowed: ["header", "secret", "prefix"]) else { return nil }
            let header = reader.string(fields, "header", at: here, required: true)
            let secret = context.template(fields, "secret", at: here, required: true)
            let prefix = reader.string(fields, "prefix", at: here) ?? ""
            let headerOK = header.map { checkHeaderName($0, at: here, reader: reader) } ?? false
            guard let header, let secret, headerOK else { return nil }
            return .token(header: header, prefix: prefix, secret: secret)
        case "verified":
            guard case .bool(true) = body else {
                reader.fail(here, "must be true (for the opposite, use \"not\")")
                return nil
            }
            return .verified
        default:
            guard let texts = reader.strings(body, at: here, nonEmpty: true) else { return nil }
            var ranges: [IPRange] = []
            for (index, text) in texts.enumerated() {
                if let range = IPRange(text) {
                    ranges.append(range)
                } else {
                    reader.fail(ManifestReader.join(here, index), "'\(text)' is not an IP address or CIDR block")
                }
            }
            return ranges.count == texts.count ? .ip(ranges) : nil
        }
    }

    private static func decodeRegex(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> ManifestRule? {
        let reader = context.reader
        guard let fields = reader.object(body, at: path, allowed: ["value", "pattern", "ignore_case", "max_length"])
        else { return nil }
        let value = fields["value"] == nil ? try? Template(parsing: "{{query}}") : context.template(fields, "value", at: path)
        let ignoreCase = reader.bool(fields, "ignore_case", at: path) ?? false
        let maxLength = reader.integer(fields, "max_length", at: path, in: 1...1_048_576) ?? 4096
        guard let pattern = reader.string(fields, "pattern", at: path, required: true) else { return nil }
        let regex: SafeRegex
        do {
            regex = try SafeRegex(pattern: pattern, caseInsensitive: ignoreCase, maxLength: maxLength)
        } catch {
            reader.fail(ManifestReader.join(path, "pattern"), error.reason)
            return nil
        }
        for name in regex.groupNames {
            context.define(name, at: ManifestReader.join(path, "pattern"))
        }
        guard let value else { return nil }
        return .regex(value: value, regex: regex)
    }

    private static func checkHeaderName(_ name: String, at path: String, reader: ManifestReader) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
            reader.fail(ManifestReader.join(path, "header"), "must be an HTTP header name")
            return false
        }
        return true
    }
}
