import HTTPTypes

/// The one error of the request path, from an integration's run up to the route: what went wrong, in words a
/// caller may read, and the HTTP status it answers with (`{"error": message}`). Plugins throw it too
/// (`IntegrationError(status: 400, "why")`); any other error becomes `.internalError`.
public struct IntegrationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var status: HTTPStatus
    public var message: String
    /// With 429 and 503: when to try again, in seconds, sent as `Retry-After`.
    public var retryAfter: Int?

    public init(status: HTTPStatus = .internalServerError, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// 400: the request can never succeed as sent.
    public static func badRequest(_ message: String) -> IntegrationError { IntegrationError(status: .badRequest, message) }
    /// 401: a signature, token or credential is missing or wrong.
    public static func unauthorized(_ message: String) -> IntegrationError {
        IntegrationError(status: .unauthorized, message)
    }
    /// 403: the caller is known and not allowed.
    public static func forbidden(_ message: String) -> IntegrationError { IntegrationError(status: .forbidden, message) }
    /// 404: no integration, route or file by that name.
    public static func notFound(_ message: String) -> IntegrationError { IntegrationError(status: .notFound, message) }
    /// 409: the stored state does not allow it (an increment of a string).
    public static func conflict(_ message: String) -> IntegrationError { IntegrationError(status: .conflict, message) }
    /// 429: over a rate or budget.
    public static func tooManyRequests(_ message: String, retryAfter: Int? = nil) -> IntegrationError {
        IntegrationError(status: .tooManyRequests, message, retryAfter: retryAfter)
    }
    /// 500: the integration or the host failed.
    public static func internalError(_ message: String) -> IntegrationError {
        IntegrationError(status: .internalServerError, message)
    }
    /// 502: something the run called (a program, a remote API) failed.
    public static func badGateway(_ message: String) -> IntegrationError { IntegrationError(status: .badGateway, message) }
    /// 503: no capacity now (a limit is reached, the host is shutting down).
    public static func unavailable(_ message: String, retryAfter: Int? = nil) -> IntegrationError {
        IntegrationError(status: .serviceUnavailable, message, retryAfter: retryAfter)
    }
    /// 504: the run or a call it made did not finish in time.
    public static func timedOut(_ message: String) -> IntegrationError {
        IntegrationError(status: .gatewayTimeout, message)
    }

    /// The same error with `name: ` before its message, as the host answers an integration's failure.
    public func prefixed(with name: String) -> IntegrationError {
        IntegrationError(status: status, "\(name): \(message)", retryAfter: retryAfter)
    }

    /// `error` as it answers: an `IntegrationError` as it is, anything else a 500 with its description.
    public init(_ error: any Error) {
        self = error as? IntegrationError ?? .internalError("\(error)")
    }
}
