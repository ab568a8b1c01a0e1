import Foundation
import HTTPServer
import IntegrationContract
import JSON
import Platforms
import Testing

/// HipChat Connect's JWT: a token made by another implementation (Python's hmac and base64), and every way a
/// forged, stale or downgraded token is refused.
@Suite struct HipChatJWTTests {
    static let secret = "hipchat-shared-secret"
    /// Made with Python: HS256 over `{"iss":"d2d1b3a8-oauth-id","sub":"2","iat":1796000000,"exp":1796000300,
    /// "context":{"room_id":1234}}` keyed with `secret`.
    static let pythonToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJkMmQxYjNhOC1vYXV0aC1pZCIsInN1YiI6IjIiLCJpYXQiOjE3OTYwMDAwMDAsImV4cCI6MTc5NjAwMDMwMCwiY29udGV4dCI6eyJyb29tX2lkIjoxMjM0fX0.j8_IVqRDut2lqyQh020Q9mT52htGYzEOWrkZNVD4DHU"
    /// The same claims with `"alg":"none"` in the header (and a signature that would be valid for HS256).
    static let algNone = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ4IiwiZXhwIjoxNzk2MDAwMzAwfQ.aOeMrSYrGPmN-IutzT1DRdcAFVb01lh3Y5sHiQ23cGc"
    static let issued = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func anotherImplementationsTokenIsAccepted() throws {
        try HipChatJWT.verify(token: Self.pythonToken, secret: Self.secret, now: Self.issued)
        try HipChatJWT.verify(token: Self.pythonToken, secret: Self.secret, now: Self.issued.addingTimeInterval(300 + 59))
    }

    @Test func forgedExpiredAndDowngradedTokensAreRefused() {
        func refusal(_ token: String, secret: String = HipChatJWTTests.secret, now: Date = HipChatJWTTests.issued) -> String? {
            do {
                try HipChatJWT.verify(token: token, secret: secret, now: now)
                return nil
            } catch {
                return error.reason
            }
        }
        let parts = Self.pythonToken.split(separator: ".").map(String.init)
        #expect(refusal(Self.pythonToken, secret: "other-secret") == "HipChat JWT signature does not match")
        #expect(refusal(Self.pythonToken, now: Self.issued.addingTimeInterval(300 + 61)) == "HipChat JWT has expired")
        #expect(refusal(Self.algNone) == "HipChat JWT must be signed with HS256")
        #expect(refusal(parts[0] + "." + parts[1] + ".") == "malformed HipChat JWT")
        #expect(refusal(parts[0] + "." + parts[1]) == "malformed HipChat JWT")
        #expect(refusal(Self.pythonToken + "=") == "malformed HipChat JWT")
        // Standard base64's alphabet is not base64url's: the signature's `-` and `_` sent as `+` and `/`.
        #expect(Self.pythonToken.contains("_"))
        let standard = Self.pythonToken.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        #expect(refusal(standard) == "malformed HipChat JWT")
        // The claims changed after signing (a later exp).
        let later = HipChatJWT.token(claims: ["exp": 4_102_444_800], secret: "attacker")
        let spliced = parts[0] + "." + later.split(separator: ".")[1] + "." + parts[2]
        #expect(refusal(spliced) == "HipChat JWT signature does not match")
        // A correctly signed token without exp never expires, so it is refused.
        #expect(refusal(HipChatJWT.token(claims: ["iss": "x"], secret: Self.secret)) == "HipChat JWT has no exp")
        #expect(refusal(String(repeating: "a", count: 9000)) == "HipChat JWT is too long")
    }

    @Test func theAdapterTakesTheQueryParameterOrTheHeaderAndSaysWhatProvedTheSender() throws {
        let adapter = HipChatAdapter(
            repliesInline: true, api: URL(string: "http://127.0.0.1:1")!, tokens: try Tokens(parsing: []),
            secrets: try Fixtures.secrets(["hipchat_secret:\(Self.secret)"]))
        let query = Fixtures.request("/hipchat?signed_request=\(Self.pythonToken)", body: "{}")
        #expect(try adapter.verify(query, now: Self.issued) == .hipchatJWT)
        let header = Fixtures.request("/hipchat", headers: ["Authorization": "JWT \(Self.pythonToken)"], body: "{}")
        #expect(try adapter.verify(header, now: Self.issued) == .hipchatJWT)
        #expect(throws: VerificationFailure("missing HipChat JWT (signed_request parameter or Authorization: JWT)")) {
            try adapter.verify(Fixtures.request("/hipchat", body: "{}"), now: Self.issued)
        }
        let open = HipChatAdapter(
            repliesInline: true, api: URL(string: "http://127.0.0.1:1")!, tokens: try Tokens(parsing: []),
            secrets: try Fixtures.secrets([]))
        #expect(try open.verify(Fixtures.request("/hipchat", body: "{}"), now: Self.issued) == nil)
    }
}
