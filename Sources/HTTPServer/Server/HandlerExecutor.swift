/// The executor the server runs handlers on, visible to the handler and everything it starts.
///
/// `Task {}` does not inherit a task executor preference, so work a handler hands to a new task would otherwise
/// move to the global executor, a thread switch each way. `Task(executorPreference: HandlerExecutor.current)`
/// keeps it on the handler threads (`nil` outside a handler means the default executor).
public enum HandlerExecutor {
    @TaskLocal public static var current: (any TaskExecutor)?
}
