import Synchronization

/// The threads that run handlers: a small set pulling from one queue, never the event-loop threads.
///
/// It is the `TaskExecutor` every handler task prefers, so a handler and everything it resumes into run here
/// (and so do unstructured `Task {}`s a handler creates, which inherit the preference).
///
/// Hand-offs are batched both ways: an event loop submits the requests of one loop iteration at once (one lock,
/// at most one wakeup); a worker takes its share of the shared queue, keeps the jobs of the tasks it starts in
/// its own list (its own lock, uncontended), and posts the finished responses to each loop's mailbox once per
/// batch. A worker wakes a sleeping peer only when it leaves work behind.
///
/// A handler that blocks its thread must not stall the rest: the event loops call `checkProgress` on every
/// timer sweep; the jobs of a worker stuck in one job for a whole sweep move to the shared queue, and when every
/// worker is stuck another is started, up to `maxThreads`. Jobs enqueued after `stop()` go to the global
/// concurrent executor, so a handler still running at shutdown can finish.
final class HandlerPool: TaskExecutor, Sendable {
    /// A complete request and where its response goes. A class, so handing it from queue to queue moves one
    /// reference instead of retaining every field of the request.
    final class Request: Sendable {
        let request: HTTPRequest
        let keepAlive: Bool
        let fd: Int32
        let connectionID: UInt64
        let mailbox: LoopMailbox
        /// Cancels the handler when the client goes away.
        let cancellation: HandlerCancellation

        init(
            request: HTTPRequest, keepAlive: Bool, fd: Int32, connectionID: UInt64, mailbox: LoopMailbox,
            cancellation: HandlerCancellation
        ) {
            self.request = request
            self.keepAlive = keepAlive
            self.fd = fd
            self.connectionID = connectionID
            self.mailbox = mailbox
            self.cancellation = cancellation
        }
    }

    private enum Work: Sendable {
        case job(UnownedJob)
        case request(Request)
    }

    private struct State {
        var queue: [Work] = []
        var sleeping: [Int32] = []
        var stopped = false
        var workers: [Worker] = []
    }

    /// What other threads may see of a worker: its job list and when it started the job it is running.
    private final class Worker: Sendable {
        let jobs = Mutex<[UnownedJob]>([])
        /// Monotonic ms at the start of the current job; 0 between jobs.
        let busySince = Atomic<Int64>(0)

        func isStuck(now: Int64, after interval: Int64) -> Bool {
            let since = busySince.load(ordering: .relaxed)
            return since != 0 && now - since >= interval
        }
    }

    /// What only the worker's own thread touches, reached through a thread-local.
    private final class WorkerThread {
        unowned let pool: HandlerPool
        let worker: Worker
        var outbox: [(LoopMailbox, LoopMailbox.Message)] = []

        init(pool: HandlerPool, worker: Worker) {
            self.pool = pool
            self.worker = worker
        }
    }

    private static let current = Posix.ThreadLocal<WorkerThread>()

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
        let worker = Worker()
        let index = state.withLock { state in
            state.workers.append(worker)
            return state.workers.count
        }
        do {
            try Posix.spawnThread(name: "http-handler-\(index)") { [self] in run(worker, wakeFD: wakeFD) }
        } catch {
            state.withLock { $0.workers.removeAll { $0 === worker } }
            Posix.close(wakeFD)
            throw error
        }
    }

    /// Queues a batch of requests from one loop iteration.
    ///
    /// Sleepers are woken after the lock is released, so the woken worker never spins on a lock its waker holds.
    /// (A popped sleeper cannot exit before it is signalled, so its eventfd is still open.)
    func submit(_ requests: [Request]) {
        guard !requests.isEmpty else { return }
        let sleeper: Int32? = state.withLock { state in
            for request in requests { state.queue.append(.request(request)) }
            return state.sleeping.popLast()
        }
        if let sleeper { Posix.eventFDSignal(sleeper) }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let thread = Self.current.current, thread.pool === self {
            thread.worker.jobs.withLock { $0.append(job) }
            return
        }
        let (forwarded, sleeper): (Bool, Int32?) = state.withLock { state in
            if state.stopped { return (true, nil) }
            state.queue.append(.job(job))
            return (false, state.sleeping.popLast())
        }
        if let sleeper { Posix.eventFDSignal(sleeper) }
        if forwarded { globalConcurrentExecutor.enqueue(job) }
    }

    /// Called on every timer sweep (`interval` ms apart): moves the jobs of workers stuck in one job to the
    /// shared queue, and starts another worker when all of them are stuck and work is waiting.
    func checkProgress(now: Int64, interval: Int64) {
        let workers = state.withLock { $0.workers }
        var stolen: [Work] = []
        for worker in workers where worker.isStuck(now: now, after: interval) {
            worker.jobs.withLock { jobs in
                stolen.append(contentsOf: jobs.map(Work.job))
                jobs.removeAll()
            }
        }
        let (spawn, sleeper): (Bool, Int32?) = state.withLock { state in
            state.queue.append(contentsOf: stolen)
            guard !state.queue.isEmpty, !state.stopped else { return (false, nil) }
            if let sleeper = state.sleeping.popLast() { return (false, sleeper) }
            return (
                state.workers.count < maxThreads && state.workers.allSatisfy { $0.isStuck(now: now, after: interval) },
                nil
            )
        }
        if let sleeper { Posix.eventFDSignal(sleeper) }
        if spawn { try? addWorker() }
    }

    /// Lets the workers exit once the queue is empty.
    func stop() {
        // Signalled under the lock: once `stopped` is set, a worker that has not gone to sleep yet may see it, exit
        // and close its eventfd, and a signal sent after that would write to whatever took the number.
        state.withLock { state in
            state.stopped = true
            for sleeper in state.sleeping { Posix.eventFDSignal(sleeper) }
            state.sleeping = []
        }
    }

    private func run(_ worker: Worker, wakeFD: Int32) {
        let thread = WorkerThread(pool: self, worker: worker)
        Self.current.set(thread)
        defer { Self.current.set(nil) }
        let executor = asUnownedTaskExecutor()
        while true {
            // Own jobs first, one at a time so that a stuck job leaves the rest to be moved elsewhere.
            if let job = worker.jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                worker.busySince.store(Posix.monotonicMilliseconds(), ordering: .relaxed)
                job.runSynchronously(on: executor)
                worker.busySince.store(0, ordering: .relaxed)
                continue
            }
            if !thread.outbox.isEmpty { flush(thread) }
            let (batch, sleeper): ([Work], Int32?) = state.withLock { state in
                if state.queue.isEmpty {
                    if !state.stopped { state.sleeping.append(wakeFD) }
                    return ([], nil)
                }
                let share = (state.queue.count + state.workers.count - 1) / state.workers.count
                if share >= state.queue.count {
                    var all: [Work] = []
                    swap(&all, &state.queue)
                    return (all, nil)
                }
                let taken = Array(state.queue[0..<share])
                state.queue.removeFirst(share)
                return (taken, state.sleeping.popLast())
            }
            if let sleeper { Posix.eventFDSignal(sleeper) }
            if batch.isEmpty {
                let exit = state.withLock { state in
                    guard state.stopped && state.queue.isEmpty else { return false }
                    state.workers.removeAll { $0 === worker }
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
                worker.busySince.store(Posix.monotonicMilliseconds(), ordering: .relaxed)
                switch work {
                case .job(let job): job.runSynchronously(on: executor)
                case .request(let request): start(request)
                }
            }
            worker.busySince.store(0, ordering: .relaxed)
        }
    }

    /// Posts the worker's finished responses, one batch per loop.
    private func flush(_ thread: WorkerThread) {
        var outbox: [(LoopMailbox, LoopMailbox.Message)] = []
        swap(&outbox, &thread.outbox)
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

    /// Starts the handler task for one request; its response goes back to the owning loop's mailbox. A request
    /// whose client left while it waited in the queue is dropped.
    private func start(_ item: Request) {
        guard !item.cancellation.isCancelled else { return }
        let handler = self.handler
        let isShuttingDown = self.isShuttingDown
        let task = Task(executorPreference: self) {
            let request = item.request
            let response: HTTPResponse
            do {
                response = try await HandlerExecutor.$current.withValue(self) { try await handler.handle(request) }
            } catch {
                response = .error(.internalServerError, "internal server error")
            }
            let encoded = HTTPResponseEncoder.encode(
                response, isHeadRequest: request.method == .head, requestVersion: request.version,
                keepAlive: item.keepAlive && !isShuttingDown())
            let message = LoopMailbox.Message.response(
                fd: item.fd, connectionID: item.connectionID, bytes: encoded.bytes, close: encoded.close)
            if let thread = HandlerPool.current.current {
                thread.outbox.append((item.mailbox, message))
            } else {
                item.mailbox.post(message)
            }
        }
        item.cancellation.attach(task)
    }
}
