/// A compiled integration written in Swift: what a plugin author implements.
///
/// ```swift
/// import IntegrationKit
///
/// struct Shout: Integration {
///     static let name = "shout"
///     func run(_ invocation: Invocation) throws -> Reply? {
///         Reply(invocation.query.uppercased())
///     }
/// }
///
/// @_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Shout.self) }
/// ```
///
/// The host creates one instance when it loads the plugin and calls `run` for every notification addressed to it,
/// on several threads at once: keep shared state in `invocation.storage`, not in properties.
public protocol Integration: Sendable {
    /// The catalog name, `[A-Za-z0-9_-]{1,64}`, unique in the integrations directory.
    static var name: String { get }
    /// One line for listings and logs.
    static var summary: String { get }
    /// The slash commands it answers, without slashes; by default just its name.
    static var commands: [String] { get }
    /// HTTP routes it answers besides `/hooks/NAME`; none by default.
    static var routes: [Route] { get }

    init()

    /// Handles one notification. Returns the reply, or `nil` for none. A thrown `IntegrationError` answers with its
    /// status and message; any other error answers 500 with the error's description.
    func run(_ invocation: Invocation) throws -> Reply?
}

extension Integration {
    public static var summary: String { "" }
    public static var commands: [String] { [name] }
    public static var routes: [Route] { [] }
}

/// An HTTP route a plugin answers: a pattern such as `/deploy/<env>` and its methods.
public struct Route: Sendable, Hashable {
    public var pattern: String
    public var methods: [String]

    public init(_ pattern: String, methods: [String] = ["POST"]) {
        self.pattern = pattern
        self.methods = methods
    }
}
