import Synchronization

/// The threads that run handlers: a small fixed set pulling from one queue, never the event-loop threads.
///
/// It is the `TaskExecutor` every handler task prefers, so a handler and everything it resumes into run here.
/// Hand-offs are batched both ways: an event loop submits the requests of one loop iteration at once (one lock,
/// at most one wakeup); a worker takes its share of the queue, runs the tasks it starts from a private job list
/// without locking, and posts the finished responses to each loop's mailbox once per batch. A worker wakes a
/// sleeping peer only when it leaves work behind. Jobs enqueued after `stop()` go to the global concurrent
/// executor, so a handler still running at shutdown can finish.
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
    }

    /// One worker thread's private lists, reached through a thread-local.
    private final class Worker {
        unowned let pool: HandlerPool
        var jobs: [UnownedJob] = []
        var outbox: [(LoopMailbox, LoopMailbox.Message)] = []

        init(pool: HandlerPool) { self.pool = pool }
    }

    private static let currentWorker = Posix.ThreadLocal<Worker>()

    private let state = Mutex(State())
    private let handler: any HTTPHandler
    private let threadCount: Int
    private let isShuttingDown: @Sendable () -> Bool

    init(threads: Int, handler: any HTTPHandler, isShuttingDown: @escaping @Sendable () -> Bool) throws(SystemError) {
        self.handler = handler
        self.threadCount = max(1, threads)
        self.isShuttingDown = isShuttingDown
        for index in 0..<threadCount {
            let wakeFD = try Posix.blockingEventFD()
            try Posix.spawnThread(name: "http-handler-\(index)") { [self] in run(wakeFD: wakeFD) }
        }
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
        if let worker = Self.currentWorker.current, worker.pool === self {
            worker.jobs.append(job)
            return
        }
        let forwarded: Bool = state.withLock { state in
            if state.stopped { return true }
            state.queue.append(.job(job))
            if let sleeper = state.sleeping.popLast() { Posix.eventFDSignal(sleeper) }
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

    private func run(wakeFD: Int32) {
        let worker = Worker(pool: self)
        Self.currentWorker.set(worker)
        defer { Self.currentWorker.set(nil) }
        while true {
            let batch: [Work] = state.withLock { state in
                if state.queue.isEmpty {
                    if !state.stopped { state.sleeping.append(wakeFD) }
                    return []
                }
                let share = (state.queue.count + threadCount - 1) / threadCount
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
                if state.withLock({ $0.stopped && $0.queue.isEmpty }) {
                    Posix.close(wakeFD)
                    return
                }
                Posix.eventFDWait(wakeFD)
                continue
            }
            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
                case .request(let request): start(request)
                }
            }
            while !worker.jobs.isEmpty {
                var jobs: [UnownedJob] = []
                swap(&jobs, &worker.jobs)
                for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
            }
            flush(worker)
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
