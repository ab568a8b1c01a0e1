import Crypto
import HTTPTypes

/// Microsoft Teams outgoing webhooks: `Authorization: HMAC base64(HMAC-SHA256(base64decode(securityToken), body))`.
public enum TeamsSignature {
    /// The header value for `body`; `nil` when the security token is not base64.
    public static func authorization(securityToken: String, body: some Collection<UInt8>) -> String? {
        guard let key = Encoding.bytes(fromBase64: securityToken) else { return nil }
        return "HMAC " + Encoding.base64(HMACSHA256.authenticationCode(for: body, key: key))
    }

    /// Checks `Authorization` against the raw body for any of the configured security tokens.
    public static func verify(headers: HTTPHeaders, body: [UInt8], securityTokens: [String]) throws(VerificationFailure) {
        guard let sent = headers["Authorization"] else { throw VerificationFailure("missing Authorization") }
        guard sent.hasPrefix("HMAC ") else { throw VerificationFailure("Authorization is not an HMAC signature") }
        var matched = false
        for token in securityTokens {
            guard let expected = authorization(securityToken: token, body: body) else { continue }
            matched = ConstantTime.equals(Array(sent.utf8), Array(expected.utf8)) || matched
        }
        guard matched else { throw VerificationFailure("Teams HMAC signature does not match") }
    }
}
