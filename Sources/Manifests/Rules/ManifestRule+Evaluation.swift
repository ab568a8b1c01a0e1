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
            }
            return false
        case .not(let rule):
            return try await !rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: pool)
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
            return check.verify(in: scope)
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
    /// HMAC-SHA256 of the raw request body with the secret, compared in constant time with the header's digest.
    func verify(in scope: ManifestScope) -> Bool {
        let secret = secret.render(in: scope)
        guard !secret.isEmpty else {
            scope.log.warning("signature rule: the secret is empty (is its environment variable set?); rejecting")
            return false
        }
        guard let sent = scope.invocation.request.headers[header], sent.hasPrefix(prefix) else { return false }
        let digestText = String(sent.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        let digest: [UInt8]?
        switch encoding {
        case .hex: digest = Crypto.Encoding.bytes(fromHex: digestText)
        case .base64: digest = Crypto.Encoding.bytes(fromBase64: digestText)
        }
        guard let digest else { return false }
        let expected = HMACSHA256.authenticationCode(for: scope.invocation.request.body, key: Array(secret.utf8))
        return ConstantTime.equals(digest, expected)
    }
}
