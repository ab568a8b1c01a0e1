import Crypto
import HTTPTypes

/// HTTP basic authentication against a list of user/password pairs, as helga's `WEBHOOKS_CREDENTIALS`.
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// Parses `user:password` (the password may contain `:`); `nil` without a colon or with an empty user.
    public init?(_ text: some StringProtocol) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return nil }
        self.init(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    /// Parses a comma-separated list of `user:password` pairs; malformed entries are skipped.
    public static func list(_ text: String) -> [BasicCredentials] {
        text.split(separator: ",").compactMap { BasicCredentials($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Checks `Authorization: Basic …` against every allowed pair, looking at all of them whatever matches.
    public static func verify(headers: HTTPHeaders, allowed: [BasicCredentials]) throws(VerificationFailure) {
        guard let authorization = headers["Authorization"] else { throw VerificationFailure("missing Authorization") }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Encoding.bytes(fromBase64: parts[1].trimmingCharacters(in: .whitespaces))
        else { throw VerificationFailure("Authorization is not Basic credentials") }
        var matched = false
        for pair in allowed {
            let expected = Array("\(pair.user):\(pair.password)".utf8)
            matched = ConstantTime.equals(decoded, expected) || matched
        }
        guard matched else { throw VerificationFailure("basic credentials do not match") }
    }
}
