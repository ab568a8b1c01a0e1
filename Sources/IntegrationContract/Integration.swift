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
    /// The methods `/hooks/NAME` takes; by default POST and the methods of `routes`.
    var hookMethods: Set<HTTPMethod> { get }
    /// The media type its webhook bodies are decoded as whatever their `Content-Type` says
    /// (adnanh/webhook's `incoming-payload-content-type`); `nil` (the default) to go by the header.
    var payloadContentType: String? { get }

    /// Runs once per notification, off the I/O threads, under the dispatcher's deadline. `nil` means no reply.
    func run(_ invocation: Invocation) async throws -> Reply?

    /// The longest a run can take, when `run` never waits on I/O or other tasks; `nil` (the default) when it may.
    /// An integration whose bound is under the dispatcher's deadline runs in the request's own task, with no
    /// deadline timer: it cannot pass the deadline.
    var runTimeBound: Duration? { get }

    /// Its own bounds on concurrent and waiting runs; `nil` (the default) for `RunLimits.standard`. Runs that cannot
    /// pass their deadline (`runTimeBound`) are not counted: they never pile up.
    var runLimits: RunLimits? { get }

    /// The largest request body, in bytes, its webhook routes (`/hooks/NAME` and its own) take; `nil` (the default)
    /// for the host's `--max-body`.
    var bodyLimit: Int? { get }

    /// Why the integration cannot run now — a plugin that crashed too often — or `nil` when it can. `/healthz`
    /// lists the integrations that have one.
    var unavailableReason: String? { get }

    /// Forgets past failures and lets the integration run again (SIGHUP).
    func restart()

    /// How many times its worker processes were restarted after crashing, since this version was loaded (an
    /// isolated plugin; 0 for kinds without workers). `/metrics` shows it.
    var workerRestarts: Int { get }
}

extension Integration {
    public var commands: [String] { [name] }
    public var routes: [IntegrationRoute] { [] }
    public var hookMethods: Set<HTTPMethod> { routes.reduce(into: [.post]) { $0.formUnion($1.methods) } }
    public var payloadContentType: String? { nil }
    public var runTimeBound: Duration? { nil }
    public var runLimits: RunLimits? { nil }
    public var bodyLimit: Int? { nil }
    public var unavailableReason: String? { nil }
    public func restart() {}
    public var workerRestarts: Int { 0 }
}
