/// Everything about how the server listens, what it accepts, and how long it waits.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind: an IPv4 or IPv6 literal (`0.0.0.0`, `::`, `127.0.0.1`, `::1`).
    public var host: String
    /// The port to bind; 0 picks a free one (see `HTTPServer.localPort`).
    public var port: Int
    public var backlog: Int
    /// Event-loop threads; each owns an epoll instance and its connections.
    public var eventLoopCount: Int
    /// Threads that run handlers (never the event-loop threads) and the tasks they create.
    public var handlerThreadCount: Int
    /// When every handler thread is blocked and work waits, more are started, up to this many.
    public var maxHandlerThreadCount: Int

    public var maxRequestLineBytes: Int
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int
    /// The body limit for requests whose handler does not choose one.
    public var defaultBodyLimit: Int
    /// Open connections at most; at the cap a new one takes the place of the longest-idle connection, or is
    /// answered 503 when none is idle.
    public var maxConnections: Int
    /// Open connections one client address may hold (IPv6: one /64); 0 turns the cap off. Behind a reverse proxy
    /// every client has the proxy's address: turn it off or raise it there.
    public var maxConnectionsPerPeer: Int
    /// A tenth of the default `maxConnections`: no one address can hold the server.
    public static let defaultMaxConnectionsPerPeer = 1_000

    public var headerTimeout: Duration
    /// The longest pause between reads of a body.
    public var bodyProgressTimeout: Duration
    /// The time a whole body may take, extended by one second for every `minBodyRate` bytes received: a body
    /// trickled slower than that is cut off with 408 however often bytes arrive.
    public var bodyTimeout: Duration
    /// Bytes per second that earn a body more time past `bodyTimeout`; 0 makes `bodyTimeout` a fixed deadline.
    public var minBodyRate: Int
    public var keepAliveIdleTimeout: Duration
    public var writeTimeout: Duration

    public init(
        host: String = "0.0.0.0",
        port: Int,
        backlog: Int = 1024,
        eventLoopCount: Int = 1,
        handlerThreadCount: Int = 1,
        maxHandlerThreadCount: Int = 16,
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 64 * 1024,
        maxHeaderCount: Int = 100,
        defaultBodyLimit: Int = 1024 * 1024,
        maxConnections: Int = 10_000,
        maxConnectionsPerPeer: Int = HTTPServerConfiguration.defaultMaxConnectionsPerPeer,
        headerTimeout: Duration = .seconds(10),
        bodyProgressTimeout: Duration = .seconds(30),
        bodyTimeout: Duration = .seconds(30),
        minBodyRate: Int = 1024,
        keepAliveIdleTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.eventLoopCount = eventLoopCount
        self.handlerThreadCount = handlerThreadCount
        self.maxHandlerThreadCount = maxHandlerThreadCount
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.defaultBodyLimit = defaultBodyLimit
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.headerTimeout = headerTimeout
        self.bodyProgressTimeout = bodyProgressTimeout
        self.bodyTimeout = bodyTimeout
        self.minBodyRate = minBodyRate
        self.keepAliveIdleTimeout = keepAliveIdleTimeout
        self.writeTimeout = writeTimeout
    }
}
