import HTTPTypes
import IntegrationContract

/// The routes integrations declared, for lookup by path: patterns without parameters in a dictionary (one lookup
/// for the common case), the others in order. A literal route wins over a pattern that also matches.
struct RouteTable {
    typealias Entry = (route: IntegrationRoute, integration: any Integration)

    private var literal: [String: [Entry]] = [:]
    private var patterns: [Entry] = []

    init(_ entries: [Entry] = []) {
        for entry in entries {
            if let path = entry.route.pattern.literalPath {
                literal[path, default: []].append(entry)
            } else {
                patterns.append(entry)
            }
        }
    }

    /// Finds the route matching `path` and `method`.
    func route(path: String, method: HTTPMethod) -> Catalog.RouteMatch {
        var allowed: Set<HTTPMethod> = []
        if let entries = literal[path] ?? (literal.isEmpty ? nil : literal[RoutePattern.canonical(path)]) {
            if let entry = entries.first(where: { $0.route.methods.contains(method) }) {
                return .matched(entry.integration, parameters: [:])
            }
            for entry in entries { allowed.formUnion(entry.route.methods) }
        }
        for (route, integration) in patterns {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.methods.contains(method) { return .matched(integration, parameters: parameters) }
            allowed.formUnion(route.methods)
        }
        return allowed.isEmpty ? .none : .wrongMethod(allowed: allowed)
    }
}
