import Foundation
import HTTPServer

/// Drives a platform request through its adapter: probe → verify (401 on failure, logged without secrets) →
/// decode → catalog lookup → dedupe → run under the platform's deadline → the reply in the platform's format, or,
/// when the run is not done `ackMargin` before the deadline, the adapter's ack now and the reply later through
/// `ReplyDeliverer`.
public final class PlatformGateway: Sendable {
    /// Finds the integration for a target; `nil` gives a 404.
    public typealias Resolve = @Sendable (PlatformEvent.Target) -> (any Integration)?
    /// Runs an integration for an event (the host's dispatcher: worker pool, invocation, run deadline).
    public typealias Run = @Sendable (_ integration: any Integration, _ event: PlatformEvent, _ followUp: FollowUp,
        _ request: HTTPRequest, _ requestID: String) async throws -> Reply?

    public let routes: PlatformRoutes
    public let deliverer: ReplyDeliverer
    public let deduplicator: DeliveryDeduplicator
    /// How long before the platform's deadline the ack goes out.
    public let ackMargin: Duration
    private let resolve: Resolve
    private let run: Run
    private let logger: HostLogger?
    private let clock: @Sendable () -> Date

    public init(
        routes: PlatformRoutes, deliverer: ReplyDeliverer, deduplicator: DeliveryDeduplicator = DeliveryDeduplicator(),
        ackMargin: Duration = .milliseconds(500), logger: HostLogger? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }, resolve: @escaping Resolve, run: @escaping Run
    ) {
        self.routes = routes
        self.deliverer = deliverer
        self.deduplicator = deduplicator
        self.ackMargin = ackMargin
        self.logger = logger
        self.clock = clock
        self.resolve = resolve
        self.run = run
    }

    /// Answers `request` if its path is a platform route, else `nil`.
    public func handle(_ request: HTTPRequest, requestID: String) async -> HTTPResponse? {
        guard let adapter = routes.adapter(for: request.path) else { return nil }
        guard request.method == .post else { return .error(.methodNotAllowed, "\(request.path) takes POST") }
        return await handle(request, adapter: adapter, requestID: requestID)
    }

    /// Answers `request` through `adapter`.
    public func handle(_ request: HTTPRequest, adapter: any PlatformAdapter, requestID: String) async -> HTTPResponse {
        if let probe = adapter.probe(request) { return probe }
        do throws(VerificationFailure) {
            try adapter.verify(request, now: clock())
        } catch {
            log(.warning, "\(adapter.name): refused request from \(request.peer.host): \(error.reason)", requestID)
            return .error(.unauthorized, error.reason)
        }
        if let answer = adapter.handshake(request) { return answer }
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(request)
        } catch {
            return .error(HTTPStatus(error.status), error.message)
        }
        guard let integration = resolve(event.target) else {
            return .error(.notFound, "no integration answers \(describe(event.target))")
        }
        event.integration = integration.name
        if let id = event.deliveryID, !deduplicator.claim(id) {
            let retry = request.headers["X-Slack-Retry-Num"].map { " (retry \($0))" } ?? ""
            log(.info, "\(adapter.name): delivery already handled\(retry), acknowledged without running", requestID)
            return HTTPResponse(status: .ok)
        }
        let followUp = makeFollowUp(adapter: adapter, event: event, requestID: requestID)
        let run = self.run
        let frozenEvent = event
        let task = Task { try await run(integration, frozenEvent, followUp, request, requestID) }
        let wait = event.repliesInline ? max(adapter.answerDeadline - ackMargin, .zero) : .zero
        if event.repliesInline, let result = await DeadlineWait.result(of: task, within: wait) {
            switch result {
            case .success(let reply):
                return adapter.render(reply, for: event)
            case .failure(let error):
                if let id = event.deliveryID { deduplicator.release(id) }
                let failure = PlatformGateway.integrationError(error)
                return .error(HTTPStatus(failure.status), failure.message)
            }
        }
        if event.repliesInline {
            log(.info, "\(adapter.name): \(integration.name) still running after \(wait); acked, reply follows", requestID)
        }
        Task { await self.finishLate(task, adapter: adapter, event: frozenEvent, requestID: requestID) }
        return adapter.ack(for: event)
    }

    /// Awaits a run that missed the deadline and delivers its reply (or its failure, to chat platforms).
    private func finishLate(
        _ task: Task<Reply?, any Error>, adapter: any PlatformAdapter, event: PlatformEvent, requestID: String
    ) async {
        let reply: Reply
        switch await task.result {
        case .success(let value):
            guard let value else {
                log(.info, "\(adapter.name): late run finished with no reply", requestID)
                return
            }
            reply = value
        case .failure(let error):
            if let id = event.deliveryID { deduplicator.release(id) }
            let failure = PlatformGateway.integrationError(error)
            log(.error, "\(adapter.name): late run of \(event.integration ?? event.targetName) failed: \(failure.message)", requestID)
            reply = Reply(text: "\(event.integration ?? event.targetName) failed: \(failure.message)", visibility: .ephemeral)
        }
        guard let message = adapter.lateDelivery(of: reply, for: event) else {
            log(.info, "\(adapter.name): late reply has no way back; logged only: \(reply.text.prefix(200))", requestID)
            return
        }
        await deliverer.deliver(message, requestID: requestID)
    }

    private func makeFollowUp(adapter: any PlatformAdapter, event: PlatformEvent, requestID: String) -> FollowUp {
        let deliverer = self.deliverer
        return FollowUp { reply in
            guard let message = adapter.lateDelivery(of: reply, for: event) else {
                return .failed(reason: "\(adapter.name) has no way to send follow-ups for this request")
            }
            return await deliverer.deliver(message, requestID: requestID)
        }
    }

    static func integrationError(_ error: any Error) -> IntegrationError {
        if let error = error as? IntegrationError { return error }
        if error is CancellationError { return IntegrationError(status: 504, "the integration ran out of time") }
        return IntegrationError(status: 500, "the integration failed: \(error)")
    }

    private func describe(_ target: PlatformEvent.Target) -> String {
        switch target {
        case .command(let name): return "/\(name)"
        case .integration(let name): return "/hooks/\(name)"
        }
    }

    private func log(_ level: LogLevel, _ message: String, _ requestID: String) {
        logger?.log(level, message, tags: [("request", requestID), ("component", "platforms")])
    }
}
