import Synchronization

/// The threads that run handlers: a small set pulling from one queue, never the event-loop threads.
///
/// It is the `TaskExecutor` every handler task prefers, so a handler and everything it resumes into run here
/// (and so do unstructured `Task {}`s a handler creates, which inherit the preference).
/// Hand-offs are batched both ways: an event loop submits the requests of one loop iteration at once (one lock,
/// at most one wakeup); a worker takes its share of the queue and posts the finished responses to each loop's
/// mailbox once per batch. A worker wakes a sleeping peer only when it leaves work behind.
///
/// A handler that blocks its thread must not stall the others: the event loops call `checkProgress()` on every
/// timer sweep, and when work has waited a whole sweep with no worker taking any and every worker has been inside
/// one job since before the previous sweep, another worker is started, up to `maxThreads`. Jobs enqueued after `stop()` go to the global concurrent executor, so a handler still
/// running at shutdown can finish.
final class HandlerPool: TaskExecutor, @unchecked Sendable {
    /// A complete request and where its response goes.
    struct Request: Sendable {
        let request: HTTPRequest
        let keepAlive: Bool
        let fd: Int32
        let connectionID: UInt64
        let mailbox: LoopMailbox
    }

    private enum Work {
        case job(UnownedJob)
        case request(Request)
    }

    private struct State {
        var queue: [Work] = []
        var sleeping: [Int32] = []
        var stopped = false
        var threads = 0
        var clocks: [WorkerClock] = []
        /// Batches taken so far, and the count the last progress check saw.
        var batches = 0
        var batchesAtLastCheck = 0
    }

    /// When a worker started the job it is running (monotonic ms), 0 between jobs.
    private final class WorkerClock: Sendable {
        let busySince = Atomic<Int64>(0)
    }

    /// One worker thread's finished responses, reached through a thread-local.
    private final class Worker {
        unowned let pool: HandlerPool
        var outbox: [(LoopMailbox, LoopMailbox.Message)] = []

        init(pool: HandlerPool) { self.pool = pool }
    }

    private static let currentWorker = Posix.ThreadLocal<Worker>()

    private let state = Mutex(State())
    private let handler: any HTTPHandler
    private let maxThreads: Int
    private let isShuttingDown: @Sendable () -> Bool

    init(
        threads: Int, maxThreads: Int, handler: any HTTPHandler, isShuttingDown: @escaping @Sendable () -> Bool
    ) throws(SystemError) {
        self.handler = handler
        self.maxThreads = max(1, threads, maxThreads)
        self.isShuttingDown = isShuttingDown
        for _ in 0..<max(1, threads) { try addWorker() }
    }

    private func addWorker() throws(SystemError) {
        let wakeFD = try Posix.blockingEventFD()
        let clock = WorkerClock()
        let index = state.withLock { state in
            state.threads += 1
            state.clocks.append(clock)
            return state.threads
        }
        do {
            try Posix.spawnThread(name: "http-handler-\(index)") { [self] in run(wakeFD: wakeFD, clock: clock) }
        } catch {
            state.withLock { state in
                state.threads -= 1
                state.clocks.removeAll { $0 === clock }
            }
            Posix.close(wakeFD)
            throw error
        }
    }

    /// Called every timer sweep (`interval` ms apart): starts another worker when queued work saw no worker
    /// take a batch since the last check and every worker is stuck in one job (a handler blocked its thread).
    func checkProgress(now: Int64, interval: Int64) {
        let stalled: Bool = state.withLock { state in
            defer { state.batchesAtLastCheck = state.batches }
            guard !state.queue.isEmpty, !state.stopped else { return false }
            if let sleeper = state.sleeping.popLast() {
                Posix.eventFDSignal(sleeper)
                return false
            }
            return state.batches == state.batchesAtLastCheck && state.threads < maxThreads
                && state.clocks.allSatisfy { clock in
                    let since = clock.busySince.load(ordering: .relaxed)
                    return since != 0 && now - since >= interval
                }
        }
        if stalled { try? addWorker() }
    }

    /// Queues a batch of requests from one loop iteration.
    func submit(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        state.withLock { state in
            for request in requests { state.queue.append(.request(request)) }
            if let sleeper = state.sleeping.popLast() { Posix.eventFDSignal(sleeper) }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A worker enqueuing (a task it just started) will come back to the queue itself: no wakeup needed.
        let fromWorker = Self.currentWorker.current?.pool === self
        let forwarded: Bool = state.withLock { state in
            if state.stopped { return true }
            state.queue.append(.job(job))
            if !fromWorker, let sleeper = state.sleeping.popLast() { Posix.eventFDSignal(sleeper) }
            return false
        }
        if forwarded { globalConcurrentExecutor.enqueue(job) }
    }

    /// Lets the workers exit once the queue is empty.
    func stop() {
        state.withLock { state in
            state.stopped = true
            for sleeper in state.sleeping { Posix.eventFDSignal(sleeper) }
            state.sleeping = []
        }
    }

    private func run(wakeFD: Int32, clock: WorkerClock) {
        let worker = Worker(pool: self)
        Self.currentWorker.set(worker)
        defer { Self.currentWorker.set(nil) }
        while true {
            let batch: [Work] = state.withLock { state in
                if state.queue.isEmpty {
                    if !state.stopped { state.sleeping.append(wakeFD) }
                    return []
                }
                state.batches += 1
                let share = (state.queue.count + state.threads - 1) / state.threads
                if share == state.queue.count {
                    var all: [Work] = []
                    swap(&all, &state.queue)
                    return all
                }
                let taken = Array(state.queue[0..<share])
                state.queue.removeFirst(share)
                if let sleeper = state.sleeping.popLast() { Posix.eventFDSignal(sleeper) }
                return taken
            }
            if batch.isEmpty {
                let exit = state.withLock { state in
                    guard state.stopped && state.queue.isEmpty else { return false }
                    state.threads -= 1
                    state.clocks.removeAll { $0 === clock }
                    return true
                }
                if exit {
                    Posix.close(wakeFD)
                    return
                }
                Posix.eventFDWait(wakeFD)
                continue
            }
            for work in batch {
                clock.busySince.store(Posix.monotonicMilliseconds(), ordering: .relaxed)
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                case .request(let request): start(request)
                }
            }
            clock.busySince.store(0, ordering: .relaxed)
            if !worker.outbox.isEmpty { flush(worker) }
        }
    }

    /// Posts the worker's finished responses, one batch per loop.
    private func flush(_ worker: Worker) {
        var outbox: [(LoopMailbox, LoopMailbox.Message)] = []
        swap(&outbox, &worker.outbox)
        while let (mailbox, _) = outbox.first {
            var messages: [LoopMailbox.Message] = []
            outbox.removeAll { entry in
                guard entry.0 === mailbox else { return false }
                messages.append(entry.1)
                return true
            }
            mailbox.post(contentsOf: messages)
        }
    }

    /// Starts the handler task for one request; its response goes back to the owning loop's mailbox.
    private func start(_ item: Request) {
        let handler = self.handler
        let isShuttingDown = self.isShuttingDown
        Task(executorPreference: self) {
            let request = item.request
            let response: HTTPResponse
            do {
                response = try await handler.handle(request)
            } catch {
                response = .error(.internalServerError, "internal server error")
            }
            let encoded = HTTPResponseEncoder.encode(
                response, isHeadRequest: request.method == .head, requestVersion: request.version,
                keepAlive: item.keepAlive && !isShuttingDown())
            let message = LoopMailbox.Message.response(
                fd: item.fd, connectionID: item.connectionID, bytes: encoded.bytes, close: encoded.close)
            if let worker = Self.currentWorker.current {
                worker.outbox.append((item.mailbox, message))
            } else {
                item.mailbox.post(message)
            }
        }
    }
}
