import Crypto
import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging

/// Admin commands over HTTP (`POST /` with `save FILE`, `load FILE` or `erase`): checks the caller, runs the
/// command, answers its JSON or its error.
public struct AdminEndpoint: Sendable {
    public let commands: AdminCommands
    /// The token callers must send as `Authorization: Bearer …`; without one only loopback peers are let in.
    let adminToken: String?
    let logger: HostLogger

    public init(commands: AdminCommands, adminToken: String?, logger: HostLogger) {
        self.commands = commands
        self.adminToken = adminToken
        self.logger = logger
    }

    /// Runs `command` for `request`'s caller.
    public func respond(to command: AdminCommand, from request: HTTPRequest, context: RouteContext) -> HTTPResponse {
        if let refusal = refusal(request, context: context) { return refusal }
        do throws(IntegrationError) {
            return .json(.ok, bytes: try commands.run(command).serializedBytes())
        } catch {
            return .error(error)
        }
    }

    /// The 403 an admin command from `request`'s caller gets (logged), or `nil` when the caller may run it.
    func refusal(_ request: HTTPRequest, context: RouteContext) -> HTTPResponse? {
        guard let refusal = authorizationRefusal(request, context: context) else { return nil }
        logger.log(.warning, "admin command refused for \(request.peer.host): \(refusal)")
        return .error(IntegrationError.forbidden(refusal))
    }

    /// The 401 (with `WWW-Authenticate: Bearer`, logged) an admin-only read such as `GET /integrations` answers
    /// `request`'s caller, or `nil` when the caller may read it.
    func readRefusal(_ request: HTTPRequest, context: RouteContext) -> HTTPResponse? {
        guard let refusal = authorizationRefusal(request, context: context) else { return nil }
        logger.log(
            .warning, "\(request.method) \(request.path) refused for \(request.peer.host): \(refusal)",
            tags: [("request", context.requestID)], throttle: "admin read refused")
        var response = HTTPResponse.error(IntegrationError.unauthorized(refusal))
        response.headers.set("WWW-Authenticate", "Bearer")
        return response
    }

    /// Headers that say a request came from a browser page or through a proxy: then a loopback peer proves nothing
    /// (a web page can POST cross-site; behind a reverse proxy every client is loopback).
    static let forwardedOrCrossSite = ["Origin", "Referer", "X-Forwarded-For", "Forwarded"]

    /// `nil` when the caller may run admin commands (and read `GET /integrations`), else why not. With an admin
    /// token configured it must come as `Authorization: Bearer <token>` (compared in constant time); without one
    /// only direct loopback requests are allowed: from a loopback peer, and with none of `forwardedOrCrossSite`.
    /// Through a trusted proxy (`context.proxy`) the peer is the client `X-Forwarded-For` named, and that header
    /// has been read, so it no longer counts as a sign of a proxy; the others still do.
    func authorizationRefusal(_ request: HTTPRequest, context: RouteContext) -> String? {
        guard let expected = adminToken else {
            guard request.peer.isLoopback else {
                return "admin commands are only accepted from loopback when no admin token is configured"
            }
            let resolved = context.proxy == nil ? nil : "X-Forwarded-For"
            if let header = AdminEndpoint.forwardedOrCrossSite.first(where: { $0 != resolved && request.headers[$0] != nil }) {
                return "admin commands with \(header) come from a browser or through a proxy, where loopback proves "
                    + "nothing: configure an admin token (--admin-token, INTEGRATION_HOST_ADMIN_TOKEN or a global "
                    + "token named admin) and send it as Authorization: Bearer <token>"
            }
            return nil
        }
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
            return "admin commands need Authorization: Bearer <admin token>"
        }
        let given = header.dropFirst("Bearer ".count)
        return ConstantTime.equals(Array(given.utf8), Array(expected.utf8)) ? nil : "wrong admin token"
    }
}
