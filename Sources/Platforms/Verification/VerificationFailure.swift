import IntegrationContract
/// Why a request's signature or credentials were refused. The reason names what was wrong (missing header,
/// stale timestamp, mismatch) and never contains a secret or the signature sent.
public struct VerificationFailure: Error, Equatable, CustomStringConvertible, Sendable {
    public let reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }

    /// The 401 the caller sees.
    public var integrationError: IntegrationError { IntegrationError.unauthorized(reason) }
}
