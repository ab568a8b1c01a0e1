import Glibc
import Synchronization

/// The threads that run handlers: a small fixed set pulling from one queue, never the event-loop threads.
///
/// It is the `TaskExecutor` every handler task prefers, so a handler and everything it resumes into run here.
/// Event loops hand over the requests of one loop iteration as a batch (one lock, at most one wakeup), and a
/// worker wakes a sleeping peer only while work is left behind it. Jobs enqueued after `stop()` go to the
/// global concurrent executor, so a handler still running at shutdown can finish.
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
        var head = 0
        var sleeping: [Int32] = []
        var stopped = false

        mutating func pop() -> Work? {
            guard head < queue.count else { return nil }
            let work = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return work
        }

        var isEmpty: Bool { head >= queue.count }
    }

    private let state = Mutex(State())
    private let handler: any HTTPHandler
    private let isShuttingDown: @Sendable () -> Bool

    init(threads: Int, handler: any HTTPHandler, isShuttingDown: @escaping @Sendable () -> Bool) throws(SystemError) {
        self.handler = handler
        self.isShuttingDown = isShuttingDown
        for index in 0..<max(1, threads) {
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
        while true {
            let work: Work? = state.withLock { state in
                if let work = state.pop() {
                    if !state.isEmpty, let sleeper = state.sleeping.popLast() { Posix.eventFDSignal(sleeper) }
                    return work
                }
                if !state.stopped { state.sleeping.append(wakeFD) }
                return nil
            }
            switch work {
            case .job(let job):
                job.runSynchronously(on: asUnownedTaskExecutor())
            case .request(let request):
                start(request)
            case nil:
                if state.withLock({ $0.stopped && $0.isEmpty }) {
                    Posix.close(wakeFD)
                    return
                }
                Posix.eventFDWait(wakeFD)
            }
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
            item.mailbox.post(
                .response(fd: item.fd, connectionID: item.connectionID, bytes: encoded.bytes, close: encoded.close))
        }
    }
}
