import Crypto
import HTTPTypes

/// GitLab's webhook secret, sent verbatim in `X-Gitlab-Token`.
public enum GitLabToken {
    public static let header = "X-Gitlab-Token"

    /// Checks the header against the configured token.
    public static func verify(headers: HTTPHeaders, token: String) throws(VerificationFailure) {
        guard let sent = headers[header] else { throw VerificationFailure("missing \(header)") }
        guard ConstantTime.equals(sent, token) else { throw VerificationFailure("\(header) does not match") }
    }
}
