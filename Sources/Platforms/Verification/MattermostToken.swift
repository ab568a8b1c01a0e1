import Crypto
import HTTPTypes

/// Mattermost slash-command tokens: `Authorization: Token <t>`, or the body's `token` field (form or JSON).
public enum MattermostToken {
    /// The token the request carries: the Authorization header first, else the body's `token` field.
    public static func presented(headers: HTTPHeaders, bodyToken: String?) -> String? {
        if let authorization = headers["Authorization"] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "token" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return bodyToken
    }

    /// Checks the presented token against every configured one.
    public static func verify(
        headers: HTTPHeaders, bodyToken: String?, allowed: [String]
    ) throws(VerificationFailure) {
        guard let sent = presented(headers: headers, bodyToken: bodyToken), !sent.isEmpty else {
            throw VerificationFailure("missing Mattermost token (Authorization: Token, or the body field token)")
        }
        var matched = false
        for token in allowed {
            matched = ConstantTime.equals(sent, token) || matched
        }
        guard matched else { throw VerificationFailure("Mattermost token does not match") }
    }
}
