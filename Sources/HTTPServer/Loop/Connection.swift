/// One accepted socket and where its current request stands. Owned by one event loop and touched only on its
/// thread.
final class Connection {
    enum State {
        /// Waiting for (the rest of) a request head.
        case readingHead
        /// Reading the body of `request`.
        case readingBody
        /// The handler is running; input is left unread so pipelined requests queue in the socket.
        case processing
        /// Sending a response.
        case writing
        /// The final response went out and the write side is shut; reading and discarding until the client
        /// closes or a short deadline, so a close never resets the connection before the client read the answer.
        case draining
        /// Closed; the descriptor number may already belong to another connection.
        case closed
    }

    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the descriptor number.
    let id: UInt64
    let peer: PeerAddress
    /// Whether it counts against `maxConnections` (rejected connections do not).
    let counted: Bool
    /// Its client address's connections on this loop, when `maxConnectionsPerPeer` is on and it is counted.
    var peerGroup: PeerGroup?

    var state = State.readingHead
    var parser: HTTPRequestParser
    /// Received bytes not consumed by the parser yet: `pending[pendingStart...]`. Pipelined requests are
    /// consumed by moving `pendingStart`, not by copying what follows them.
    var pending: [UInt8] = []
    var pendingStart = 0
    var request: ParsedRequestHead?
    var body: [UInt8] = []
    var output: [UInt8] = []
    var outputOffset = 0
    var closeAfterWrite = false
    /// Monotonic milliseconds at which the current state times out.
    var deadline: Int64
    /// When the head of the body being read arrived (monotonic ms), for `bodyTimeout`.
    var bodyStarted: Int64 = 0
    /// Whether it is in the loop's idle queues, where a new connection may take its place.
    var queuedIdle = false
    /// Whether epoll reported the peer's FIN, a reset or an error: reads go on to the end of input, and a request
    /// in flight has lost its client.
    var hungUp = false
    /// Cancels the handler of the request in flight.
    var handlerCancellation: HandlerCancellation?
    /// Whether the header deadline for the current head is running (it is set once, not per byte).
    var headStarted = true
    /// Edge-triggered readiness not yet consumed by reading to "would block".
    var readable = false

    init(fd: Int32, id: UInt64, peer: PeerAddress, counted: Bool, limits: HTTPParserLimits, deadline: Int64) {
        self.fd = fd
        self.id = id
        self.peer = peer
        self.counted = counted
        self.parser = HTTPRequestParser(limits: limits)
        self.deadline = deadline
    }

    /// Whether nothing of a next request has arrived.
    var isIdle: Bool { state == .readingHead && !hasPendingInput && parser.isIdle }

    var isReadingOrProcessing: Bool {
        switch state {
        case .readingHead, .readingBody, .processing: return true
        case .writing, .draining, .closed: return false
        }
    }

    var hasPendingInput: Bool { pendingStart < pending.count }

    func dropPendingInput() {
        pending = []
        pendingStart = 0
    }
}
