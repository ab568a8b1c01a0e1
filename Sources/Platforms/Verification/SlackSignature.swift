import Crypto
import Foundation
import HTTPTypes

/// Slack's request signing, version 0: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" +
/// body))` with `X-Slack-Request-Timestamp` within a window of now.
public enum SlackSignature {
    /// Slack's own replay window: five minutes either side of now.
    public static let window: TimeInterval = 300

    /// The `X-Slack-Signature` value for `body` sent at `timestamp` (seconds since 1970, as text).
    public static func signature(secret: String, timestamp: String, body: some Collection<UInt8>) -> String {
        var message = Array("v0:\(timestamp):".utf8)
        message.append(contentsOf: body)
        return "v0=" + Encoding.hex(HMACSHA256.authenticationCode(for: message, key: Array(secret.utf8)))
    }

    /// Checks the signature headers of a request against the raw body.
    public static func verify(
        headers: HTTPHeaders, body: [UInt8], secret: String, now: Date, window: TimeInterval = window
    ) throws(VerificationFailure) {
        guard let timestamp = headers["X-Slack-Request-Timestamp"] else {
            throw VerificationFailure("missing X-Slack-Request-Timestamp")
        }
        guard let sent = headers["X-Slack-Signature"] else { throw VerificationFailure("missing X-Slack-Signature") }
        guard !timestamp.isEmpty, timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let seconds = TimeInterval(timestamp)
        else { throw VerificationFailure("malformed X-Slack-Request-Timestamp") }
        guard abs(now.timeIntervalSince1970 - seconds) <= window else {
            throw VerificationFailure("stale X-Slack-Request-Timestamp (outside the \(Int(window)) s window)")
        }
        let expected = signature(secret: secret, timestamp: timestamp, body: body)
        guard ConstantTime.equals(Array(sent.utf8), Array(expected.utf8)) else {
            throw VerificationFailure("X-Slack-Signature does not match")
        }
    }
}
