import Crypto
import Foundation
import IntegrationContract
import JSON

extension ManifestRule {
    /// Whether the rule holds for this run. Regex captures of matching rules become variables in `scope`.
    /// Regexes are matched on `pool`'s threads; one that runs past `regexTimeout`, or that the pool has no room
    /// for, ends the run with 503.
    func evaluate(in scope: ManifestScope, regexTimeout: Duration, pool: RegexPool.Lane) async throws(IntegrationError) -> Bool {
        switch self {
        case .all(let rules):
            for rule in rules {
                if try await !rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool) { return false }
            }
            return true
        case .any(let rules):
            for rule in rules {
                if try await rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool) { return true }
                if scope.signatureFailure != nil { return false }
            }
            return false
        case .not(let rule):
            let holds = try await rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool)
            return scope.signatureFailure == nil && !holds
        case .match(let value, let equals):
            return value.render(in: scope) == equals.render(in: scope)
        case .regex(let value, let regex):
            switch await pool.firstMatch(regex, in: value.render(in: scope), timeout: regexTimeout) {
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
            if check.verify(in: scope) { return true }
            if scope.signatureFailuresAreHard {
                scope.signatureFailure = "no valid \(check.algorithm.rawValue) signature in \(check.header)"
            }
            return false
        case .token(let header, let prefix, let secretTemplate):
            let secret = secretTemplate.render(in: scope)
            guard !secret.isEmpty else {
                scope.log.warning("token rule: the secret is empty (is its environment variable set?); rejecting")
                return false
            }
            guard let sent = scope.invocation.request.headers[header], sent.hasPrefix(prefix) else { return false }
            return ConstantTime.equals(Array(sent.utf8.dropFirst(prefix.utf8.count)), Array(secret.utf8))
        case .verified:
            return scope.invocation.notification.verifiedBy != nil
        case .ip(let ranges):
            let peer = scope.invocation.request.peer
            return ranges.contains { $0.contains(peer) }
        }
    }
}

extension ManifestRule.SignatureCheck {
    /// The HMAC of the raw request body with the secret, compared in constant time with each digest the header
    /// lists (comma-separated, each after `prefix`); true when one matches. Every listed digest is compared, so the
    /// time taken does not tell which one came close.
    func verify(in scope: ManifestScope) -> Bool {
        let secret = secret.render(in: scope)
        guard !secret.isEmpty else {
            scope.log.warning("signature rule: the secret is empty (is its environment variable set?); rejecting")
            return false
        }
        guard let sent = scope.invocation.request.headers[header] else { return false }
        let digests = sent.split(separator: ",", omittingEmptySubsequences: true).compactMap { part -> [UInt8]? in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix(prefix) else { return nil }
            let digestText = String(text.dropFirst(prefix.count))
            switch encoding {
            case .hex: return Crypto.Encoding.bytes(fromHex: digestText)
            case .base64: return Crypto.Encoding.bytes(fromBase64: digestText)
            }
        }
        guard !digests.isEmpty else { return false }
        let expected = authenticationCode(of: scope.invocation.request.body, key: Array(secret.utf8))
        return digests.reduce(false) { matched, digest in ConstantTime.equals(digest, expected) || matched }
    }

    private func authenticationCode(of body: [UInt8], key: [UInt8]) -> [UInt8] {
        switch algorithm {
        case .sha1: return HMAC<SHA1>.authenticationCode(for: body, key: key)
        case .sha256: return HMAC<SHA256>.authenticationCode(for: body, key: key)
        case .sha512: return HMAC<SHA512>.authenticationCode(for: body, key: key)
        }
    }
}
