import Synchronization

/// What the event loops of one server share: configuration, the handler, the connection counts (in all, and per
/// client address) and the shutdown state.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    let limits: HTTPParserLimits
    let headerTimeoutMS: Int64
    let bodyProgressTimeoutMS: Int64
    let bodyTimeoutMS: Int64
    let minBodyRate: Int64
    let keepAliveIdleTimeoutMS: Int64
    let writeTimeoutMS: Int64
    /// How long a closing connection is drained before it is closed anyway.
    let lingerMS: Int64

    private let activeConnections = Atomic<Int>(0)
    /// Open connections per client address, across loops; only kept when `maxConnectionsPerPeer` is on.
    private let peerConnections = Mutex<[PeerKey: Int]>([:])
    private let shuttingDown = Atomic<Bool>(false)
    private let exits = Mutex<(running: Int, waiter: CheckedContinuation<Void, Never>?)>((0, nil))

    init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        self.limits = HTTPParserLimits(configuration)
        headerTimeoutMS = configuration.headerTimeout.milliseconds
        bodyProgressTimeoutMS = configuration.bodyProgressTimeout.milliseconds
        bodyTimeoutMS = configuration.bodyTimeout.milliseconds
        minBodyRate = Int64(max(0, configuration.minBodyRate))
        keepAliveIdleTimeoutMS = configuration.keepAliveIdleTimeout.milliseconds
        writeTimeoutMS = configuration.writeTimeout.milliseconds
        lingerMS = min(2000, writeTimeoutMS)
    }

    /// Counts a new connection if there is room under `maxConnections`.
    func reserveConnection() -> Bool {
        let now = activeConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if now <= configuration.maxConnections { return true }
        activeConnections.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func releaseConnection() {
        activeConnections.wrappingSubtract(1, ordering: .relaxed)
    }

    var connectionCount: Int { activeConnections.load(ordering: .relaxed) }

    /// Whether `maxConnectionsPerPeer` is on.
    var limitsPeers: Bool { configuration.maxConnectionsPerPeer > 0 }

    /// Counts a new connection from `peer` if it holds fewer than `maxConnectionsPerPeer`.
    func reservePeerConnection(_ peer: PeerKey) -> Bool {
        peerConnections.withLock { table in
            let open = table[peer, default: 0]
            guard open < configuration.maxConnectionsPerPeer else { return false }
            table[peer] = open + 1
            return true
        }
    }

    func releasePeerConnection(_ peer: PeerKey) {
        peerConnections.withLock { table in
            if let open = table[peer], open > 1 { table[peer] = open - 1 } else { table[peer] = nil }
        }
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    func beginShutdown() { shuttingDown.store(true, ordering: .relaxed) }

    func loopStarted() {
        exits.withLock { $0.running += 1 }
    }

    func loopExited() {
        let waiter: CheckedContinuation<Void, Never>? = exits.withLock { state in
            state.running -= 1
            guard state.running == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once every loop has exited.
    func waitForLoops() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = exits.withLock { state in
                if state.running == 0 { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
