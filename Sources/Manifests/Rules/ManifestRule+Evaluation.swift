import Crypto
import Foundation
import IntegrationContract
import JSON

extension ManifestRule {
    /// Whether the rule holds for this run. Regex captures of matching rules become variables in `scope`.
    /// Regexes are matched on `pool`'s threads; one that runs past `regexTimeout`, or that the pool has no room
    /// for, ends the run with 503. `path` (`rules[0]`, `actions[2].if`) is given only when the run is traced: then
    /// each rule records its verdict under it (`rules[0].all[1].regex`), once, where its kind is evaluated.
    func evaluate(
        in scope: ManifestScope, regexTimeout: Duration, pool: RegexPool.Lane, at path: String? = nil
    ) async throws(IntegrationError) -> Bool {
        switch self {
        case .all(let rules):
            for (index, rule) in rules.enumerated() {
                let child = path.map { "\($0).all[\(index)]" }
                if try await !rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool, at: child) {
                    scope.note(path, "all", "did not hold: all[\(index)] did not")
                    return false
                }
            }
            scope.note(path, "all", "held: all \(rules.count) held")
            return true
        case .any(let rules):
            for (index, rule) in rules.enumerated() {
                let child = path.map { "\($0).any[\(index)]" }
                if try await rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool, at: child) {
                    scope.note(path, "any", "held: any[\(index)] held")
                    return true
                }
                if scope.signatureFailure != nil {
                    scope.note(path, "any", "did not hold: any[\(index)]'s signature failure ends it")
                    return false
                }
            }
            scope.note(path, "any", "did not hold: none of \(rules.count) held")
            return false
        case .not(let rule):
            let inner = try await rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool, at: path.map { "\($0).not" })
            if scope.signatureFailure != nil {
                scope.note(path, "not", "did not hold: its rule's signature failure ends it")
                return false
            }
            scope.note(path, "not", inner ? "did not hold: its rule held" : "held: its rule did not")
            return !inner
        case .match(let value, let equals):
            let (left, right) = (value.render(in: scope), equals.render(in: scope))
            scope.note(path, "match", left == right ? "\(quoted(left)) equals \(quoted(right))" : "\(quoted(left)) is not \(quoted(right))")
            return left == right
        case .regex(let value, let regex):
            let input = value.render(in: scope)
            let outcome = await pool.firstMatch(regex, in: input, timeout: regexTimeout)
            scope.note(path, "regex", outcome.traceDetail(input: quoted(input), pattern: regex.pattern, timeout: regexTimeout))
            switch outcome {
            case .match(let captures):
                for (name, text) in captures { scope.variables[name] = .string(text) }
                return true
            case .noMatch:
                return false
            case .tooLong:
                scope.log.log(
                    .warning, "regex input longer than \(regex.maxLength) bytes; treated as no match", throttle: "regex too long")
                return false
            case .timedOut:
                scope.log.log(.warning, "regex /\(regex.pattern)/ gave up after \(regexTimeout)", throttle: "regex timeout")
                throw IntegrationError.unavailable("pattern matching took too long", retryAfter: 1)
            case .busy:
                scope.log.log(
                    .warning, "regex /\(regex.pattern)/ not tried: its \(pool.pool.queuePerOwner) places in the regex queue (of \(pool.pool.queueLimit)) are taken", throttle: "regex busy")
                throw IntegrationError.unavailable("pattern matching is busy; try again later", retryAfter: 1)
            }
        case .signature(let check):
            let verdict = check.verify(in: scope)
            scope.note(path, "signature", verdict.description(header: check.header))
            if verdict == .valid { return true }
            if scope.signatureFailuresAreHard {
                scope.signatureFailure = "no valid \(check.algorithm.rawValue) signature in \(check.header)"
            }
            return false
        case .token(let header, let prefix, let secretTemplate):
            let verdict = CredentialVerdict.token(
                sent: scope.invocation.request.headers[header], prefix: prefix, secret: secretTemplate.render(in: scope))
            if verdict == .secretEmpty {
                scope.log.warning("token rule: the secret is empty (is its environment variable set?); rejecting")
            }
            scope.note(path, "token", verdict.description(header: header))
            return verdict == .valid
        case .verified:
            let proof = scope.invocation.notification.verifiedBy
            scope.note(path, "verified", proof.map { "held: sender verified by \($0.rawValue)" } ?? "did not hold: sender not verified")
            return proof != nil
        case .ip(let ranges):
            let peer = scope.invocation.request.peer
            let allowed = ranges.contains { $0.contains(peer) }
            scope.note(path, "ip", "\(peer.host) is \(allowed ? "in" : "not in") the allow list")
            return allowed
        }
    }

    /// `text` as a JSON string, cut to 200 characters, for trace entries.
    private func quoted(_ text: String) -> String {
        let cut = text.count > 200 ? String(text.prefix(200)) + "…" : text
        return JSONValue.string(cut).serialized()
    }
}

extension SafeRegex.Outcome {
    /// What a trace says of a match of `input` (already quoted) against `pattern`.
    func traceDetail(input: String, pattern: String, timeout: Duration) -> String {
        switch self {
        case .match(let captures):
            let names = captures.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(JSONValue.string($0.1).serialized())" }
            return "\(input) matched \(pattern)" + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))")
        case .noMatch: return "\(input) did not match \(pattern)"
        case .tooLong: return "input longer than its max_length: treated as no match"
        case .timedOut: return "gave up after \(timeout): 503"
        case .busy: return "not tried: the regex threads are busy: 503"
        }
    }
}

/// Why a credential rule (`token`, `signature`) held or not, for the trace; never carries the secret or the sent value.
enum CredentialVerdict: Equatable {
    case valid
    case secretEmpty
    case headerMissing
    case prefixMissing(String)
    case malformed
    case mismatch

    static func token(sent: String?, prefix: String, secret: String) -> CredentialVerdict {
        guard !secret.isEmpty else { return .secretEmpty }
        guard let sent else { return .headerMissing }
        guard sent.hasPrefix(prefix) else { return .prefixMissing(prefix) }
        return ConstantTime.equals(Array(sent.utf8.dropFirst(prefix.utf8.count)), Array(secret.utf8)) ? .valid : .mismatch
    }

    func description(header: String) -> String {
        switch self {
        case .valid: return "header \(header) holds the secret"
        case .secretEmpty: return "the secret is empty (is its environment variable set?): rejected"
        case .headerMissing: return "header \(header) missing"
        case .prefixMissing(let prefix): return "header \(header) does not start with \"\(prefix)\""
        case .malformed: return "header \(header) is not an encoded digest"
        case .mismatch: return "header \(header) does not match"
        }
    }
}

extension ManifestRule.SignatureCheck {
    /// The HMAC of the raw request body with the secret, compared in constant time with each digest the header
    /// lists (comma-separated, each after `prefix`); valid when one matches. Every listed digest is compared, so the
    /// time taken does not tell which one came close.
    func verify(in scope: ManifestScope) -> CredentialVerdict {
        let secret = secret.render(in: scope)
        guard !secret.isEmpty else {
            scope.log.warning("signature rule: the secret is empty (is its environment variable set?); rejecting")
            return .secretEmpty
        }
        guard let sent = scope.invocation.request.headers[header] else { return .headerMissing }
        var digests: [[UInt8]] = []
        var prefixed = false
        for part in sent.split(separator: ",", omittingEmptySubsequences: true) {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix(prefix) else { continue }
            prefixed = true
            let digestText = String(text.dropFirst(prefix.count))
            let digest: [UInt8]?
            switch encoding {
            case .hex: digest = Crypto.Encoding.bytes(fromHex: digestText)
            case .base64: digest = Crypto.Encoding.bytes(fromBase64: digestText)
            }
            if let digest { digests.append(digest) }
        }
        guard prefixed else { return .prefixMissing(prefix) }
        guard !digests.isEmpty else { return .malformed }
        let expected = authenticationCode(of: scope.invocation.request.body, key: Array(secret.utf8))
        let matched = digests.reduce(false) { matched, digest in ConstantTime.equals(digest, expected) || matched }
        return matched ? .valid : .mismatch
    }

    private func authenticationCode(of body: [UInt8], key: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .sha1: return HMAC<SHA1>.authenticationCode(for: body, key: key)
        case .sha256: return HMAC<SHA256>.authenticationCode(for: body, key: key)
        case .sha512: return HMAC<SHA512>.authenticationCode(for: body, key: key)
        }
    }
}
