import Synchronization

/// A hand-written HTTP/1.1 server: non-blocking sockets on a few epoll event loops, handlers run as tasks off
/// those loops. See `Sources/HTTPServer/README.md` for limits, timeouts and the fuzz harness.
public final class HTTPServer: Sendable {
    private enum State {
        case idle
        case running(listenFD: Int32, port: Int, loops: [EventLoop], pool: HandlerPool)
        case stopped
    }

    private let context: ServerContext
    private let state = Mutex(State.idle)

    public init(configuration: HTTPServerConfiguration, handler: some HTTPHandler) {
        context = ServerContext(configuration: configuration, handler: handler)
    }

    /// Binds and listens, starts the event loops, and returns once connections are being accepted.
    /// Throws `HTTPServerError` when the address is invalid or cannot be bound.
    public func start() throws {
        let configuration = context.configuration
        try state.withLock { state in
            guard case .idle = state else { throw HTTPServerError("server already started") }
            guard let address = SocketAddress(host: configuration.host, port: configuration.port) else {
                throw HTTPServerError("invalid listen address \(configuration.host) port \(configuration.port)")
            }
            Posix.ignoreSIGPIPE()
            let listenFD: Int32
            let port: Int
            do {
                listenFD = try Posix.listeningSocket(address: address, backlog: configuration.backlog)
                port = try Posix.localPort(listenFD)
            } catch {
                throw HTTPServerError("cannot listen on \(configuration.host) port \(configuration.port): \(error)")
            }
            var loops: [EventLoop] = []
            let context = self.context
            let pool: HandlerPool
            do {
                pool = try HandlerPool(
                    threads: configuration.handlerThreadCount, maxThreads: configuration.maxHandlerThreadCount,
                    handler: context.handler,
                    isShuttingDown: { context.isShuttingDown })
            } catch {
                Posix.close(listenFD)
                throw HTTPServerError("cannot start handler threads: \(error)")
            }
            do {
                for index in 0..<max(1, configuration.eventLoopCount) {
                    let loop = try EventLoop(context: context, pool: pool, listenFD: listenFD)
                    loops.append(loop)
                    context.loopStarted()
                    try Posix.spawnThread(name: "http-loop-\(index)") { loop.run() }
                }
            } catch {
                for loop in loops { loop.mailbox.post(.shutdown(deadline: 0)) }
                pool.stop()
                Posix.close(listenFD)
                throw HTTPServerError("cannot start event loops: \(error)")
            }
            state = .running(listenFD: listenFD, port: port, loops: loops, pool: pool)
        }
    }

    /// The bound port (the one the system picked when the configured port was 0); 0 before `start()`.
    public var localPort: Int {
        state.withLock { state in
            if case .running(_, let port, _, _) = state { return port }
            return 0
        }
    }

    /// Open connections counted against `maxConnections`, across loops (refusals still being answered are not).
    public var connectionCount: Int { context.connectionCount }

    /// Stops accepting (new connections are refused at once), closes idle connections, lets in-flight requests
    /// finish (their responses close the connection) until `gracePeriod` has passed, then closes whatever is
    /// left. Returns when all loops are done.
    public func shutdown(gracePeriod: Duration) async {
        let running: (Int32, [EventLoop], HandlerPool)? = state.withLock { state in
            guard case .running(let listenFD, _, let loops, let pool) = state else { return nil }
            state = .stopped
            return (listenFD, loops, pool)
        }
        guard let (listenFD, loops, pool) = running else { return }
        context.beginShutdown()
        let deadline = Posix.monotonicMilliseconds() + gracePeriod.milliseconds
        for loop in loops { loop.mailbox.post(.shutdown(deadline: deadline)) }
        Posix.stopListening(listenFD)
        await context.waitForLoops()
        pool.stop()
        Posix.close(listenFD)
    }
}
