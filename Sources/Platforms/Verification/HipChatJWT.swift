import Crypto
import Foundation
import HTTPTypes
import JSON

/// HipChat Connect's request signing: a JSON Web Token (HS256, signed with the add-on installation's shared
/// secret) in the `signed_request` query parameter — how HipChat signs webhooks — or in `Authorization: JWT …`.
/// Checked: the token's shape, `alg` is `HS256` (never `none` or another algorithm chosen by the sender), the
/// signature in constant time, and `exp` not passed (with a minute of leeway for clock skew).
public enum HipChatJWT {
    /// How far past `exp` a token is still taken, for clocks that disagree.
    public static let leeway: TimeInterval = 60
    /// Tokens longer than this are refused before any decoding.
    static let maxLength = 8 * 1024

    /// Checks the token carried by a request; `signedRequest` is the `signed_request` query parameter, if any.
    public static func verify(
        headers: HTTPHeaders, signedRequest: String?, secret: String, now: Date
    ) throws(VerificationFailure) {
        let token: String
        if let signedRequest, !signedRequest.isEmpty {
            token = signedRequest
        } else if let authorization = headers["Authorization"], authorization.hasPrefix("JWT ") {
            token = String(authorization.dropFirst(4)).trimmingCharacters(in: .whitespaces)
        } else {
            throw VerificationFailure("missing HipChat JWT (signed_request parameter or Authorization: JWT)")
        }
        try verify(token: token, secret: secret, now: now)
    }

    /// Checks one compact-serialized token.
    public static func verify(token: String, secret: String, now: Date) throws(VerificationFailure) {
        guard token.utf8.count <= maxLength else { throw VerificationFailure("HipChat JWT is too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = base64URLDecoded(parts[0]),
            let payloadBytes = base64URLDecoded(parts[1]), let signature = base64URLDecoded(parts[2])
        else { throw VerificationFailure("malformed HipChat JWT") }
        guard let header = try? JSONValue(parsing: headerBytes), let payload = try? JSONValue(parsing: payloadBytes)
        else { throw VerificationFailure("malformed HipChat JWT") }
        guard header.value(atPath: "alg")?.stringValue == "HS256" else {
            throw VerificationFailure("HipChat JWT must be signed with HS256")
        }
        let signed = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let expected = HMACSHA256.authenticationCode(for: signed, key: Array(secret.utf8))
        guard ConstantTime.equals(signature, expected) else {
            throw VerificationFailure("HipChat JWT signature does not match")
        }
        guard case .number(let expiry)? = payload.value(atPath: "exp") else {
            throw VerificationFailure("HipChat JWT has no exp")
        }
        guard now.timeIntervalSince1970 <= expiry + leeway else { throw VerificationFailure("HipChat JWT has expired") }
    }

    /// A signed token for `claims`, as HipChat would send it: for tests and tools.
    public static func token(claims: JSONValue, secret: String) -> String {
        let header = base64URLEncoded(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let body = base64URLEncoded(claims.serializedBytes())
        let signature = HMACSHA256.authenticationCode(for: Array("\(header).\(body)".utf8), key: Array(secret.utf8))
        return "\(header).\(body).\(base64URLEncoded(signature))"
    }

    /// Unpadded base64url (RFC 7515 §2); `nil` for anything else, including standard base64's `+`, `/` and `=`.
    static func base64URLDecoded(_ text: Substring) -> [UInt8]? {
        let isURLSafe = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): return true
            default: return false
            }
        }
        guard !text.isEmpty, isURLSafe else { return nil }
        return Encoding.bytes(fromBase64: String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }))
    }

    static func base64URLEncoded(_ bytes: [UInt8]) -> String {
        String(Encoding.base64(bytes).compactMap { $0 == "=" ? nil : $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }
}
