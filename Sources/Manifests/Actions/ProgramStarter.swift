import Foundation
import Glibc
import Synchronization

/// Starts `exec` programs on a thread of its own at the niceness programs run at, never on a thread that handles
/// requests: a start blocks its caller until the child has exec'd (vfork-style), and a crowd of starts — a client
/// calling a slow hook and hanging up, again and again — then costs that low-priority thread, not request
/// handling. The child inherits the thread's niceness, so what it does before it execs yields too. A start asked
/// for by a run that is cancelled before its turn never happens.
final class ProgramStarter: Sendable {
    static let shared = ProgramStarter()

    /// What one start needs; `answer` gets the started program, or `nil` when the run was cancelled first.
    private struct Request: Sendable {
        let argv: [String]
        let environment: [String]
        let directory: String
        let containment: ExecContainment
        let cancelled: CancellationFlag
        let answer: @Sendable (sending Result<ChildProcess, ChildProcess.SpawnError>?) -> Void
    }

    private let queue = Mutex<[Request]>([])
    private let wakeups = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            // On Linux this lowers the calling thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, ChildProcess.niceness)
            run()
        }
        thread.name = "program-starter"
        thread.start()
    }

    /// Starts `argv[0]` as `ChildProcess` does, on the starter thread; `nil` when the calling task is cancelled
    /// before the program was started (then it never is).
    func start(argv: [String], environment: [String], directory: String, containment: ExecContainment) async
        -> Result<ChildProcess, ChildProcess.SpawnError>?
    {
        let cancelled = CancellationFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<ChildProcess, ChildProcess.SpawnError>?, Never>) in
                let request = Request(
                    argv: argv, environment: environment, directory: directory, containment: containment,
                    cancelled: cancelled, answer: { continuation.resume(returning: $0) })
                queue.withLock { $0.append(request) }
                wakeups.signal()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    private func run() {
        while true {
            wakeups.wait()
            guard let request = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            guard !request.cancelled.isSet else {
                request.answer(nil)
                continue
            }
            do throws(ChildProcess.SpawnError) {
                let child = try ChildProcess(
                    argv: request.argv, environment: request.environment, directory: request.directory,
                    containment: request.containment)
                request.answer(.success(child))
            } catch {
                request.answer(.failure(error))
            }
        }
    }
}
