import Foundation

/// Which redirects the client follows, and what the next request carries.
///
/// 301, 302, 303, 307 and 308 with a `Location` are followed (303, and 301/302 after a POST, as a GET without a
/// body, as browsers do). Within the same origin (scheme, host and port) the request keeps every header; to another
/// origin it loses `Authorization`, `Cookie`, `Proxy-Authorization`, `Host` and every header the request names
/// secret. A redirect from https to http, or to any other scheme, is refused.
enum Redirect {
    static let statuses: Set<Int> = [301, 302, 303, 307, 308]
    static let credentialHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization", "host"]

    /// The request to send after `response`, or `nil` when `response` is the answer.
    static func next(after response: OutboundResponse, to request: OutboundRequest) throws(OutboundError) -> OutboundRequest? {
        guard statuses.contains(response.status), let location = response.header("Location") else { return nil }
        guard let target = URL(string: location, relativeTo: request.url)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = target.host, !host.isEmpty
        else { throw .redirectRefused("Location is not an http(s) URL") }
        if request.url.scheme?.lowercased() == "https" && scheme == "http" {
            throw .redirectRefused("from https to http")
        }
        var next = request
        next.url = target
        if response.status == 303 || (response.status <= 302 && request.method == "POST") {
            next.method = request.method == "HEAD" ? "HEAD" : "GET"
            next.body = []
            next.headers.removeAll { ["content-type", "content-length"].contains($0.name.lowercased()) }
        }
        if Origin(request.url) != Origin(target) {
            next.headers.removeAll {
                let name = $0.name.lowercased()
                return credentialHeaders.contains(name) || request.secretHeaderNames.contains(name)
            }
        }
        return next
    }
}

/// Scheme, host and port: what a credential is good for.
struct Origin: Equatable {
    let scheme: String
    let host: String
    let port: Int

    init(_ url: URL) {
        scheme = url.scheme?.lowercased() ?? ""
        host = url.host?.lowercased() ?? ""
        port = url.port ?? (scheme == "https" ? 443 : 80)
    }
}
