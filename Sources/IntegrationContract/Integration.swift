#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes

/// One integration, of any kind (manifest, plugin): what the catalog holds and dispatch runs.
public protocol Integration: Sendable {
    /// The catalog name, `[A-Za-z0-9_-]{1,64}`, unique across the directory.
    var name: String { get }
    /// One line for listings and logs.
    var summary: String { get }
    /// The slash commands it answers, without slashes. Usually just its name.
    var commands: [String] { get }
    /// HTTP routes it answers besides `/hooks/NAME`.
    var routes: [IntegrationRoute] { get }

    /// Runs once per notification, off the I/O threads, under the dispatcher's deadline. `nil` means no reply.
    func run(_ invocation: Invocation) async throws -> Reply?

    /// The longest a run can take, when `run` never waits on I/O or other tasks; `nil` (the default) when it may.
    /// An integration whose bound is under the dispatcher's deadline runs in the request's own task, with no
    /// deadline timer: it cannot pass the deadline.
    var runTimeBound: Duration? { get }
}

extension Integration {
    public var commands: [String] { [name] }
    public var routes: [IntegrationRoute] { [] }
    public var runTimeBound: Duration? { nil }
}

/// An extra route: a path pattern such as `/deploy/<env>` and the methods it takes.
public struct IntegrationRoute: Sendable {
    public var pattern: RoutePattern
    public var methods: Set<HTTPMethod>

    public init(pattern: RoutePattern, methods: Set<HTTPMethod> = [.post]) {
        self.pattern = pattern
        self.methods = methods
    }
}

/// An integration kind: turns one file of the integrations directory into integrations.
public protocol IntegrationLoader: Sendable {
    /// A short name for logs: "manifest", "plugin".
    var kind: String { get }
    /// Whether a file with this name is of this kind (by extension).
    func accepts(fileName: String) -> Bool
    /// Loads the file. A thrown error names what is wrong; the catalog logs it with the file name and keeps the
    /// file's last good version.
    func load(file: URL) throws -> [any Integration]
}

/// The rule for integration and command names: `[A-Za-z0-9_-]{1,64}`.
public enum IntegrationName {
    public static func isValid(_ name: some StringProtocol) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { isNameByte($0, allowingDot: false) }
    }

    /// Whether `byte` is `[A-Za-z0-9_-]`, or `.` too when `allowingDot`: the alphabet of names, token names,
    /// request ids and state file segments.
    public static func isNameByte(_ byte: UInt8, allowingDot: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        case UInt8(ascii: "."):
            return allowingDot
        default:
            return false
        }
    }
}
