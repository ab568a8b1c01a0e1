import Foundation

/// Runs each job of a task on a new thread of its own: a task that blocks its thread (a long regex match) then holds
/// none of the cooperative pool's few threads, which the test itself needs to go on (on a busy or one-core machine,
/// possibly the only one).
final class OwnThreadExecutor: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        Thread.detachNewThread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
