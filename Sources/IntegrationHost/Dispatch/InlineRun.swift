import HTTPServer

extension Dispatcher {
    /// Runs an integration for a caller that waits for the answer: a reply is rendered by `render`, a thrown
    /// error becomes its status with a JSON body, and a run past the deadline is cancelled and answered 504.
    public func respondInline(
        _ integration: any Integration, _ invocation: Invocation, deadline: Duration,
        render: (Reply?) -> HTTPResponse
    ) async -> HTTPResponse {
        switch await run(integration, invocation, deadline: deadline) {
        case .replied(let reply):
            return render(reply)
        case .failed(let error):
            return .error(HTTPStatus(error.status), "\(integration.name): \(error.message)")
        case .timedOut(let pending):
            pending.cancel()
            return .error(
                .gatewayTimeout,
                "\(integration.name) did not answer within \(Dispatcher.milliseconds(deadline)) ms")
        }
    }
}
