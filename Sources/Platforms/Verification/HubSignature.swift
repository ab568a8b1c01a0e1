import Crypto
import HTTPTypes

/// GitHub's webhook signature: `X-Hub-Signature-256: sha256=hex(HMAC-SHA256(secret, body))`.
public enum HubSignature {
    public static let header = "X-Hub-Signature-256"

    /// The header value for `body`.
    public static func signature(secret: String, body: some Collection<UInt8>) -> String {
        "sha256=" + Encoding.hex(HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8)))
    }

    /// Checks the header against the raw body. The digest's hex is read in either case, as the manifest
    /// `signature` rule reads it.
    public static func verify(headers: HTTPHeaders, body: [UInt8], secret: String) throws(VerificationFailure) {
        guard let sent = headers[header] else { throw VerificationFailure("missing \(header)") }
        guard sent.hasPrefix("sha256="), let digest = Encoding.bytes(fromHex: String(sent.dropFirst(7))) else {
            throw VerificationFailure("\(header) is not sha256=HEX")
        }
        let expected = HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8))
        guard ConstantTime.equals(digest, expected) else { throw VerificationFailure("\(header) does not match") }
    }
}
