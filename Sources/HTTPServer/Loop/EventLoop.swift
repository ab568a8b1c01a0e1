import Glibc
import Scheduling

/// One event-loop thread: an epoll instance, the connections it accepted, and a mailbox through which finished
/// responses come back from handler tasks. Sockets are registered once, edge-triggered, for input and output;
/// the loop tracks readiness itself so a request costs no `epoll_ctl`.
///
/// Timeouts are plain per-connection deadlines (monotonic ms) checked by one linear sweep every
/// `sweepIntervalMS`: the host's one clock (`DeadlineScheduler`) posts `.sweep` to the mailbox, and the loop
/// schedules the next one after each sweep, so `epoll_wait` waits on descriptors alone. Deadlines change on every
/// request, so a wheel or heap would pay on the hot path to save a sweep that is cheap anyway: 10,000 idle
/// connections cost about 0.3% of a core (`.ci/idle-connections.sh`).
///
/// Everything but `mailbox` is confined to the loop's own thread, hence `@unchecked Sendable`; debug builds
/// check that at the loop's entry points (`assertInLoop`).
final class EventLoop: @unchecked Sendable {
    static let sweepIntervalMS: Int64 = 250
    private static let readBufferSize = 64 * 1024
    private static let maxRejecting = 256

    let mailbox: LoopMailbox
    private let context: ServerContext
    private let epollFD: Int32
    private let listenFD: Int32
    private var connections: [Connection?] = []
    /// Connections between requests, longest idle first: at `maxConnections` a new connection closes the oldest.
    private var idle = IdleQueue()
    private var idleLinks: [IdleLink] = []
    /// The per-peer idle queues' links (see `PeerGroup`), and the groups of this loop's clients.
    private var peerIdleLinks: [IdleLink] = []
    private var peerGroups: [PeerKey: PeerGroup] = [:]
    private var connectionCount = 0
    private var rejectingCount = 0
    private var drainingCount = 0
    private var nextConnectionID: UInt64 = 0
    private var now: Int64 = 0
    /// The thread `run` runs on: the only one that may touch the loop's state.
    private var thread: pthread_t?
    private var accepting = true
    private var acceptPausedUntil: Int64?
    private var shutdownDeadline: Int64?
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var messages: [LoopMailbox.Message] = []
    private var dispatched: [HandlerPool.Request] = []
    private let pool: HandlerPool

    init(context: ServerContext, pool: HandlerPool, listenFD: Int32) throws(SystemError) {
        self.context = context
        self.pool = pool
        self.listenFD = listenFD
        epollFD = try Posix.epollCreate()
        do {
            mailbox = try LoopMailbox()
            try Posix.epollAdd(epollFD, mailbox.eventFD, events: Posix.readable)
            try Posix.epollAdd(epollFD, listenFD, events: Posix.readable | Posix.exclusive)
        } catch {
            Posix.close(epollFD)
            throw error
        }
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Runs until shutdown completes. Call on the loop's own thread.
    func run() {
        let events = Posix.EpollEvents(capacity: 512)
        defer { events.deallocate() }
        thread = pthread_self()
        now = Posix.monotonicMilliseconds()
        scheduleSweep()
        while true {
            let count = events.wait(epollFD, timeoutMS: -1)
            now = Posix.monotonicMilliseconds()
            for i in 0..<count {
                let (fd, flags) = events[i]
                if fd == listenFD {
                    acceptConnections()
                } else if fd == mailbox.eventFD {
                    drainMailbox()
                } else if let connection = connection(fd) {
                    handle(flags, on: connection)
                }
            }
            if !dispatched.isEmpty {
                pool.submit(dispatched)
                dispatched.removeAll(keepingCapacity: true)
            }
            // Draining connections have had their answer; they do not hold up shutdown.
            if let deadline = shutdownDeadline, connectionCount == drainingCount || now >= deadline { break }
        }
        for case let connection? in connections { close(connection) }
        Posix.close(epollFD)
        mailbox.close()
        context.loopExited()
    }

    private func connection(_ fd: Int32) -> Connection? {
        fd >= 0 && Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    // MARK: Events

    private func handle(_ events: UInt32, on connection: Connection) {
        assertInLoop()
        if events & (Posix.readable | Posix.hangUp) != 0 {
            connection.readable = true
            if events & Posix.hangUp != 0 { connection.hungUp = true }
            readAvailable(connection)
            // The client closed, half-closed or reset while its handler runs (or right after sending the
            // request): nobody will read the answer, so the slot is freed and the handler cancelled.
            if connection.hungUp, connection.state == .processing { close(connection) }
        }
        if events & Posix.writable != 0, connection.outputOffset < connection.output.count,
            connection.state != .closed
        {
            flush(connection)
        }
    }

    private func acceptConnections() {
        assertInLoop()
        while accepting {
            switch Posix.accept(listenFD) {
            case .accepted(let fd, let address):
                Posix.setNoDelay(fd)
                admit(fd: fd, peer: address.peerAddress)
            case .nonePending:
                return
            case .exhausted:
                // Out of descriptors: stop polling the listener for a moment instead of spinning on it.
                Posix.epollRemove(epollFD, listenFD)
                acceptPausedUntil = now + 100
                return
            case .failed:
                // Level-triggered: if more connections wait, the next epoll_wait reports them again.
                return
            case .notListening:
                // epoll goes on reporting a socket that was shut down; accepting again would spin. Connections
                // already open are served as usual.
                if acceptPausedUntil == nil { Posix.epollRemove(epollFD, listenFD) }
                acceptPausedUntil = nil
                accepting = false
                return
            }
        }
    }

    /// Counts a new connection against `maxConnectionsPerPeer` and `maxConnections`. At either cap the longest-idle
    /// connection that stands in the way (the client's own, or any) is closed to make room; with none idle the
    /// new connection is refused.
    private func admit(fd: Int32, peer: PeerAddress) {
        var peerKey: PeerKey?
        if context.limitsPeers {
            let key = PeerKey(addressBytes: peer.bytes)
            while !context.reservePeerConnection(key) {
                guard let oldest = peerGroups[key]?.idle.oldest, let evicted = connection(oldest) else {
                    reject(fd: fd, peer: peer, message: "too many connections from this address")
                    return
                }
                close(evicted)
            }
            peerKey = key
        }
        while !context.reserveConnection() {
            guard let evicted = connection(idle.oldest) else {
                if let peerKey { context.releasePeerConnection(peerKey) }
                reject(fd: fd, peer: peer, message: "server at connection limit")
                return
            }
            close(evicted)
        }
        register(fd: fd, peer: peer, counted: true, peerKey: peerKey)
    }

    @discardableResult
    private func register(fd: Int32, peer: PeerAddress, counted: Bool, peerKey: PeerKey? = nil) -> Connection? {
        nextConnectionID &+= 1
        let connection = Connection(
            fd: fd, id: nextConnectionID, peer: peer, counted: counted, limits: context.limits,
            deadline: now + context.headerTimeoutMS)
        do {
            try Posix.epollAdd(
                epollFD, fd, events: Posix.readable | Posix.writable | Posix.hangUp | Posix.edgeTriggered)
        } catch {
            Posix.close(fd)
            if counted { context.releaseConnection() }
            if let peerKey { context.releasePeerConnection(peerKey) }
            return nil
        }
        let index = Int(fd)
        if index >= connections.count {
            let added = index + 1 - connections.count
            connections.append(contentsOf: repeatElement(nil, count: added))
            idleLinks.append(contentsOf: repeatElement(IdleLink(), count: added))
            peerIdleLinks.append(contentsOf: repeatElement(IdleLink(), count: added))
        }
        connections[index] = connection
        connectionCount += 1
        if let peerKey {
            let group = peerGroups[peerKey] ?? PeerGroup(key: peerKey)
            if group.connections == 0 { peerGroups[peerKey] = group }
            group.connections += 1
            connection.peerGroup = group
        }
        if counted { enqueueIdle(connection) } else { rejectingCount += 1 }
        return connection
    }

    /// At a cap with nothing to make room: answers 503 with `Retry-After` and closes without reading a request.
    private func reject(fd: Int32, peer: PeerAddress, message: String) {
        guard rejectingCount < Self.maxRejecting, let connection = register(fd: fd, peer: peer, counted: false) else {
            Posix.close(fd)
            return
        }
        respond(connection, status: .serviceUnavailable, message: message, retryAfter: 1)
    }

    private func enqueueIdle(_ connection: Connection) {
        guard !connection.queuedIdle else { return }
        connection.queuedIdle = true
        idle.append(connection.fd, links: &idleLinks)
        connection.peerGroup?.idle.append(connection.fd, links: &peerIdleLinks)
    }

    private func dequeueIdle(_ connection: Connection) {
        guard connection.queuedIdle else { return }
        connection.queuedIdle = false
        idle.remove(connection.fd, links: &idleLinks)
        connection.peerGroup?.idle.remove(connection.fd, links: &peerIdleLinks)
    }

    /// Debug builds stop here when a loop-confined method runs on any other thread.
    private func assertInLoop() {
        assert(thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false, "EventLoop state touched off its thread")
    }

    private func drainMailbox() {
        assertInLoop()
        mailbox.drain(into: &messages)
        for message in messages {
            switch message {
            case .response(let fd, let id, let bytes, let close):
                guard let connection = connection(fd), connection.id == id, connection.state == .processing else {
                    continue
                }
                connection.handlerCancellation = nil
                if shutdownDeadline != nil && !close {
                    // Encoded before shutdown began: say that this connection closes after it.
                    startWrite(connection, HTTPResponseEncoder.markingClose(bytes), close: true)
                } else {
                    startWrite(connection, bytes, close: close)
                }
            case .shutdown(let deadline):
                beginShutdown(deadline: deadline)
            case .sweep:
                sweep()
                scheduleSweep()
            }
        }
        messages.removeAll(keepingCapacity: true)
    }

    // MARK: Reading

    private func readAvailable(_ connection: Connection) {
        while connection.readable {
            switch connection.state {
            case .readingHead, .readingBody, .draining: break
            case .processing, .writing, .closed: return
            }
            switch Posix.read(connection.fd, into: readBuffer) {
            case .bytes(let n):
                // A short read drained the socket, unless the peer hung up: then read on to the end of input.
                if n < readBuffer.count, !connection.hungUp { connection.readable = false }
                if connection.state == .draining { continue }
                ingest(connection, UnsafeBufferPointer(start: readBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
                if connection.state == .closed { return }
            case .wouldBlock:
                connection.readable = false
            case .endOfFile:
                // Input is only read between requests, so a request in flight has already been answered.
                close(connection)
                return
            case .failed:
                close(connection)
                return
            }
        }
    }

    /// Parses newly read bytes, straight from the read buffer when nothing was left over from before.
    private func ingest(_ connection: Connection, _ bytes: UnsafeBufferPointer<UInt8>) {
        if connection.queuedIdle { dequeueIdle(connection) }
        if !connection.hasPendingInput {
            connection.dropPendingInput()
            let consumed = process(connection, bytes)
            if consumed < bytes.count, connection.isReadingOrProcessing {
                connection.pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            if connection.pendingStart > 0 {
                connection.pending.removeFirst(connection.pendingStart)
                connection.pendingStart = 0
            }
            connection.pending.append(contentsOf: bytes)
            processPending(connection)
        }
        if connection.state == .readingBody { connection.deadline = bodyDeadline(connection) }
    }

    /// The sooner of the stall limit from now and the body's own deadline: `bodyTimeout` from its head, plus a
    /// second for every `minBodyRate` bytes received.
    private func bodyDeadline(_ connection: Connection) -> Int64 {
        var whole = connection.bodyStarted + context.bodyTimeoutMS
        if context.minBodyRate > 0 { whole += Int64(connection.body.count) * 1000 / context.minBodyRate }
        return min(now + context.bodyProgressTimeoutMS, whole)
    }

    /// Parses the kept input. The buffer is moved out while the parser reads it (answering an error drops it).
    private func processPending(_ connection: Connection) {
        var input: [UInt8] = []
        swap(&input, &connection.pending)
        let start = connection.pendingStart
        connection.pendingStart = 0
        let consumed = input.withUnsafeBufferPointer { process(connection, UnsafeBufferPointer(rebasing: $0[start...])) }
        if start + consumed < input.count, connection.isReadingOrProcessing {
            connection.pending = input
            connection.pendingStart = start + consumed
        }
    }

    /// Runs the parser over `input` while the connection is reading; returns how much it consumed.
    private func process(_ connection: Connection, _ input: UnsafeBufferPointer<UInt8>) -> Int {
        var consumed = 0
        while connection.state == .readingHead || connection.state == .readingBody {
            let event: HTTPRequestParser.Event
            do {
                let result = try connection.parser.parse(
                    UnsafeBufferPointer(rebasing: input[consumed...]), body: &connection.body)
                consumed += result.consumed
                event = result.event
            } catch {
                respond(connection, status: error.status, message: error.message, head: connection.request?.head)
                return input.count
            }
            switch event {
            case .needMoreData:
                if connection.state == .readingHead, !connection.headStarted,
                    consumed < input.count || !connection.parser.isIdle
                {
                    connection.headStarted = true
                    connection.deadline = now + context.headerTimeoutMS
                }
                return consumed
            case .head(let parsed):
                begin(connection, parsed, bodyAlreadyHere: consumed < input.count)
            case .bodyComplete:
                guard let parsed = connection.request else { return consumed }
                dispatch(connection, parsed)
            }
        }
        return consumed
    }

    /// A head arrived: apply expectations and the body limit, then read the body or run the handler.
    private func begin(_ connection: Connection, _ parsed: ParsedRequestHead, bodyAlreadyHere: Bool) {
        connection.headStarted = false
        if parsed.hasUnsupportedExpectation {
            respond(connection, status: 417, message: "unsupported expectation", head: parsed.head)
            return
        }
        if parsed.framing == .none || parsed.framing == .contentLength(0) {
            dispatch(connection, parsed)
            return
        }
        // Only a request with a body asks the handler for its route's limit.
        let limit = context.handler.bodyLimit(for: parsed.head) ?? context.configuration.defaultBodyLimit
        switch parsed.framing {
        case .contentLength(let length) where length > limit:
            respond(connection, status: 413, message: HTTPParseError.bodyTooLarge.message, head: parsed.head)
            return
        case .contentLength(let length):
            // Reserve for what is declared, but only up to what a read brings: a declared length costs nothing
            // until the bytes arrive.
            connection.body.reserveCapacity(min(length, Self.readBufferSize))
        case .chunked, .none:
            break
        }
        connection.parser.bodyLimit = limit
        connection.request = parsed
        connection.state = .readingBody
        connection.bodyStarted = now
        connection.deadline = bodyDeadline(connection)
        if parsed.expectsContinue && !bodyAlreadyHere {
            connection.output.append(contentsOf: HTTPResponseEncoder.continueResponse)
            flush(connection)
        }
    }

    // MARK: Handlers

    /// Queues a complete request for the handler pool; the batch goes out at the end of the loop iteration and
    /// the response comes back by mailbox.
    private func dispatch(_ connection: Connection, _ parsed: ParsedRequestHead) {
        var body: [UInt8] = []
        swap(&body, &connection.body)
        connection.request = nil
        connection.state = .processing
        connection.deadline = .max
        let cancellation = HandlerCancellation()
        connection.handlerCancellation = cancellation
        dispatched.append(
            HandlerPool.Request(
                request: HTTPRequest(head: parsed.head, body: body, peer: connection.peer), keepAlive: parsed.keepAlive,
                fd: connection.fd, connectionID: connection.id, mailbox: mailbox, cancellation: cancellation))
    }

    // MARK: Writing

    /// Answers with `{"error": message}` (and `Retry-After` when given), plus the handler's headers for answers the
    /// server gives on its own, and closes. `head` is the refused request's, when it was read.
    private func respond(
        _ connection: Connection, status: HTTPStatus, message: String, retryAfter: Int? = nil, head: HTTPRequestHead? = nil
    ) {
        var response = HTTPResponse.error(status, message)
        if let retryAfter { response.headers.set("Retry-After", String(retryAfter)) }
        for field in context.handler.serverAnswerHeaders(for: head) { response.headers.set(field.name, field.value) }
        let encoded = HTTPResponseEncoder.encode(
            response, isHeadRequest: false, requestVersion: .http1_1, keepAlive: false)
        connection.dropPendingInput()
        startWrite(connection, encoded.bytes, close: true)
    }

    private func startWrite(_ connection: Connection, _ bytes: [UInt8], close: Bool) {
        if connection.outputOffset >= connection.output.count {
            connection.output = bytes
            connection.outputOffset = 0
        } else {
            connection.output.append(contentsOf: bytes)
        }
        connection.closeAfterWrite = close
        connection.state = .writing
        connection.deadline = now + context.writeTimeoutMS
        flush(connection)
    }

    private func flush(_ connection: Connection) {
        while connection.outputOffset < connection.output.count {
            let result = connection.output.withUnsafeBytes {
                Posix.write(connection.fd, UnsafeRawBufferPointer(rebasing: $0[connection.outputOffset...]))
            }
            switch result {
            case .bytes(let n):
                connection.outputOffset += n
            case .wouldBlock:
                return
            case .endOfFile, .failed:
                close(connection)
                return
            }
        }
        connection.output = []
        connection.outputOffset = 0
        if connection.state == .writing { finishResponse(connection) }
    }

    /// The response is out: close, or go back to reading (pipelined bytes first).
    private func finishResponse(_ connection: Connection) {
        if connection.closeAfterWrite || shutdownDeadline != nil {
            linger(connection)
            return
        }
        connection.state = .readingHead
        connection.headStarted = false
        connection.deadline = now + context.keepAliveIdleTimeoutMS
        if connection.hasPendingInput { processPending(connection) }
        if connection.state != .closed, connection.readable { readAvailable(connection) }
        if connection.isIdle { enqueueIdle(connection) }
    }

    private func linger(_ connection: Connection) {
        Posix.shutdownWrite(connection.fd)
        connection.state = .draining
        drainingCount += 1
        connection.dropPendingInput()
        connection.body = []
        connection.deadline = now + context.lingerMS
        readAvailable(connection)
    }

    /// Closes and frees the slot; a handler still running for it is cancelled.
    private func close(_ connection: Connection, abort: Bool = false) {
        guard connection.state != .closed else { return }
        if connection.state == .draining { drainingCount -= 1 }
        if connection.state == .processing { connection.handlerCancellation?.cancel() }
        connection.handlerCancellation = nil
        dequeueIdle(connection)
        connection.state = .closed
        connections[Int(connection.fd)] = nil
        if abort { Posix.abort(connection.fd) } else { Posix.close(connection.fd) }
        connectionCount -= 1
        if connection.counted { context.releaseConnection() } else { rejectingCount -= 1 }
        if let group = connection.peerGroup {
            group.connections -= 1
            if group.connections == 0 { peerGroups[group.key] = nil }
            context.releasePeerConnection(group.key)
        }
    }

    // MARK: Timeouts and shutdown

    /// Asks the clock for the next sweep.
    private func scheduleSweep() {
        let mailbox = self.mailbox
        _ = DeadlineScheduler.shared.schedule(after: .milliseconds(Self.sweepIntervalMS)) { mailbox.post(.sweep) }
    }

    private func sweep() {
        assertInLoop()
        pool.checkProgress(now: now, interval: Self.sweepIntervalMS)
        if let until = acceptPausedUntil, now >= until, accepting {
            acceptPausedUntil = nil
            try? Posix.epollAdd(epollFD, listenFD, events: Posix.readable | Posix.exclusive)
        }
        for case let connection? in connections where connection.deadline <= now {
            switch connection.state {
            case .readingHead where !connection.isIdle, .readingBody:
                respond(connection, status: 408, message: "request timeout", head: connection.request?.head)
            case .writing:
                close(connection, abort: true)
            case .readingHead, .draining, .processing, .closed:
                close(connection)
            }
        }
    }

    private func beginShutdown(deadline: Int64) {
        shutdownDeadline = deadline
        if accepting {
            accepting = false
            if acceptPausedUntil == nil { Posix.epollRemove(epollFD, listenFD) }
        }
        for case let connection? in connections where connection.isIdle { close(connection) }
    }
}
