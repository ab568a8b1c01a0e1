import Foundation
import HTTPClient
import JSON

/// What one try's answer means for a message: taken, refused for good, or worth another try (after the wait the
/// destination asked for with `Retry-After`, if it did).
enum DeliveryVerdict: Equatable {
    case accepted(status: Int)
    case refused(reason: String)
    case retry(reason: String, retryAfter: Duration?)

    /// Slack Web API error codes worth another try: the rate limit, and the transient failures Slack names as such
    /// (https://api.slack.com/methods/chat.postMessage#errors). `fatal_error` is not among them: Slack says part of
    /// the call may have succeeded, and a second try could post the message twice.
    static let retryableSlackErrors: Set<String> = ["ratelimited", "internal_error", "service_unavailable", "request_timeout"]

    /// Reads `response` as `acceptance` says; `now` dates a `Retry-After` given as an HTTP date.
    init(_ response: OutboundResponse, acceptance: DeliveryAcceptance, now: Date = Date()) {
        let status = response.status
        let retryAfter = DeliveryVerdict.retryAfter(response.header("Retry-After"), now: now)
        guard (200..<300).contains(status) else {
            let reason = "HTTP \(status)" + (DeliveryVerdict.slackError(in: response).map { " (\($0))" } ?? "")
            self = RetryPolicy.isRetryable(status: status) ? .retry(reason: reason, retryAfter: retryAfter) : .refused(reason: reason)
            return
        }
        switch acceptance {
        case .status:
            self = .accepted(status: status)
        case .slackWebAPI:
            let body = try? JSONValue(parsing: response.body)
            if body?["ok"]?.boolValue == true {
                self = .accepted(status: status)
                return
            }
            guard let code = body?["error"]?.stringValue else {
                self = .refused(reason: "HTTP \(status) without \"ok\": true from the Slack Web API")
                return
            }
            let reason = "Slack error \(code)"
            self = DeliveryVerdict.retryableSlackErrors.contains(code)
                ? .retry(reason: reason, retryAfter: retryAfter) : .refused(reason: reason)
        }
    }

    /// The Slack error code of a non-2xx Web API answer, when it carries one.
    private static func slackError(in response: OutboundResponse) -> String? {
        guard response.body.first == UInt8(ascii: "{") else { return nil }
        return (try? JSONValue(parsing: response.body))?["error"]?.stringValue
    }

    /// `Retry-After` as a wait: delay-seconds, or an HTTP date (RFC 9110 §10.2.3); `nil` when absent or unreadable.
    static func retryAfter(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Too many digits for an Int: longer than any retry budget, which is what matters.
            return .seconds(Int(value) ?? Int(Int32.max))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int((date.timeIntervalSince(now) * 1000).rounded(.up))))
    }
}
