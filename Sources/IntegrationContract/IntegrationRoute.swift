import HTTPTypes

/// An extra route: a path pattern such as `/deploy/<env>` and the methods it takes.
public struct IntegrationRoute: Sendable {
    public var pattern: RoutePattern
    public var methods: Set<HTTPMethod>

    public init(pattern: RoutePattern, methods: Set<HTTPMethod> = [.post]) {
        self.pattern = pattern
        self.methods = methods
    }
}
