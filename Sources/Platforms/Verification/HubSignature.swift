import Crypto
import HTTPTypes

/// GitHub's webhook signature: `X-Hub-Signature-256: sha256=hex(HMAC-SHA256(secret, body))`.
public enum HubSignature {
    public static let header = "X-Hub-Signature-256"

    /// The header value for `body`.
    public static func signature(secret: String, body: some Collection<UInt8>) -> String {
        "sha256=" + Encoding.hex(HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8)))
    }

    /// Checks the header against the raw body.
    public static func verify(headers: HTTPHeaders, body: [UInt8], secret: String) throws(VerificationFailure) {
        guard let sent = headers[header] else { throw VerificationFailure("missing \(header)") }
        let expected = signature(secret: secret, body: body)
        guard ConstantTime.equals(Array(sent.utf8), Array(expected.utf8)) else {
            throw VerificationFailure("\(header) does not match")
        }
    }
}
