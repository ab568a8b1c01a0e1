import Foundation
import HTTPServer

/// Drives a platform request through its adapter and the host: probe → verify (401 on failure, logged without
/// secrets) → decode → catalog lookup → dedupe → run through the dispatcher → the reply in the platform's format,
/// or, when the run is not done `ackMargin` before the platform's deadline, the adapter's ack now and the reply
/// later through `ReplyDeliverer`.
public final class PlatformGateway: Sendable {
    public let routes: PlatformRoutes
    public let deliverer: ReplyDeliverer
    public let deduplicator: DeliveryDeduplicator
    /// How long before the platform's deadline the ack goes out.
    public let ackMargin: Duration
    /// How long a run that missed its answer deadline may go on before it is cancelled.
    public let runLimit: Duration
    private let logger: HostLogger
    private let clock: @Sendable () -> Date

    public init(
        routes: PlatformRoutes, deliverer: ReplyDeliverer, logger: HostLogger,
        deduplicator: DeliveryDeduplicator = DeliveryDeduplicator(), ackMargin: Duration = .milliseconds(500),
        runLimit: Duration = .seconds(300), clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.routes = routes
        self.deliverer = deliverer
        self.deduplicator = deduplicator
        self.ackMargin = ackMargin
        self.runLimit = runLimit
        self.logger = logger
        self.clock = clock
    }

    /// The host's gateway: secrets from its tokens and the process environment, replies through its outbound client.
    public convenience init(configuration: HostConfiguration, logger: HostLogger, outbound: OutboundClient) {
        self.init(
            routes: PlatformRoutes(secrets: PlatformSecrets(configuration: configuration)), deliverer: ReplyDeliverer(client: outbound, logger: logger),
            logger: logger)
    }

    /// Answers a request to a fixed platform route (`/slack`, `/mattermost`, `/teams`).
    public func handle(
        _ request: HTTPRequest, adapter: any PlatformAdapter, host: HostServices, requestID: String
    ) async -> HTTPResponse {
        if let probe = adapter.probe(request) { return probe }
        do throws(VerificationFailure) {
            try adapter.verify(request, now: clock())
        } catch {
            return refuse(request, adapter: adapter, error, requestID)
        }
        if let answer = adapter.handshake(request) { return answer }
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(request)
        } catch {
            return .error(HTTPStatus(error.status), error.message)
        }
        let found: (any Integration)?
        switch event.target {
        case .command(let name): found = host.catalog.integration(forCommand: name)
        case .integration(let name): found = host.catalog.integration(named: name)
        }
        guard let integration = found else {
            return .error(.notFound, "no integration answers /\(event.target.name)")
        }
        event.integration = integration.name
        return await run(integration, event, adapter: adapter, request: request, host: host, requestID: requestID)
    }

    /// Answers a webhook for `integration` (`/hooks/NAME`, or a route the integration declared, with its
    /// parameters): verified with the integration's secrets, answered with its own status and headers.
    public func handleWebhook(
        _ request: HTTPRequest, integration: any Integration, parameters: [String: String] = [:], host: HostServices,
        requestID: String
    ) async -> HTTPResponse {
        let adapter = routes.hooks
        do throws(VerificationFailure) {
            try adapter.verify(request, integration: integration.name)
        } catch {
            return refuse(request, adapter: adapter, error, requestID)
        }
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(request, integration: integration.name)
        } catch {
            return .error(HTTPStatus(error.status), error.message)
        }
        event.integration = integration.name
        return await run(
            integration, event, adapter: adapter, request: request, host: host, requestID: requestID,
            parameters: parameters)
    }

    private func refuse(
        _ request: HTTPRequest, adapter: any PlatformAdapter, _ failure: VerificationFailure, _ requestID: String
    ) -> HTTPResponse {
        log(.warning, "\(adapter.name): refused \(request.path) from \(request.peer.host): \(failure.reason)", requestID)
        return .error(.unauthorized, failure.reason)
    }

    /// Dedupe, then the run: inline when it finishes in time, else ack and deliver later.
    private func run(
        _ integration: any Integration, _ event: PlatformEvent, adapter: any PlatformAdapter, request: HTTPRequest,
        host: HostServices, requestID: String, parameters: [String: String] = [:]
    ) async -> HTTPResponse {
        if let id = event.deliveryID, !deduplicator.claim(id) {
            let retry = request.headers["X-Slack-Retry-Num"].map { " (retry \($0))" } ?? ""
            log(.info, "\(adapter.name): delivery already handled\(retry), acknowledged without running", requestID)
            return HTTPResponse(status: .ok)
        }
        var invocation = host.dispatcher.invocation(
            for: integration, notification: event.notification, query: event.query, request: request,
            requestID: requestID, routeParameters: parameters)
        invocation.followUp = followUp(adapter: adapter, event: event, requestID: requestID)
        guard event.repliesInline else {
            Task {
                let outcome = await host.dispatcher.run(integration, invocation, deadline: self.runLimit)
                await self.deliverLate(outcome, adapter: adapter, event: event, requestID: requestID)
            }
            return adapter.ack(for: event)
        }
        let wait = max(min(adapter.answerDeadline, host.configuration.deadline) - ackMargin, .zero)
        switch await host.dispatcher.run(integration, invocation, deadline: wait) {
        case .replied(let reply):
            return adapter.render(reply, for: event)
        case .failed(let error):
            if let id = event.deliveryID { deduplicator.release(id) }
            return .error(HTTPStatus(error.status), "\(integration.name): \(error.message)")
        case .timedOut(let pending):
            log(.info, "\(adapter.name): \(integration.name) still running after \(wait); acked, reply follows", requestID)
            let remaining = max(runLimit - wait, .zero)
            Task {
                let outcome = await Dispatcher.race(pending, deadline: remaining)
                await self.deliverLate(outcome, adapter: adapter, event: event, requestID: requestID)
            }
            return adapter.ack(for: event)
        }
    }

    /// Delivers the outcome of a run answered later: its reply, or its failure (to chats); a run still going
    /// after `runLimit` is cancelled.
    private func deliverLate(
        _ outcome: Dispatcher.Outcome, adapter: any PlatformAdapter, event: PlatformEvent, requestID: String
    ) async {
        let name = event.integrationName
        let reply: Reply
        switch outcome {
        case .replied(nil):
            log(.info, "\(adapter.name): \(name) finished with no reply to deliver", requestID)
            return
        case .replied(let value?):
            reply = value
        case .failed(let error):
            if let id = event.deliveryID { deduplicator.release(id) }
            log(.error, "\(adapter.name): late run of \(name) failed: \(error.message)", requestID)
            reply = Reply(text: "\(name) failed: \(error.message)", visibility: .ephemeral)
        case .timedOut(let pending):
            pending.cancel()
            log(.error, "\(adapter.name): \(name) cancelled after running \(runLimit)", requestID)
            reply = Reply(text: "\(name) ran out of time", visibility: .ephemeral)
        }
        guard let message = adapter.lateDelivery(of: reply, for: event) else {
            log(.info, "\(adapter.name): the reply of \(name) has no way back; logged only: \(reply.text.prefix(200))", requestID)
            return
        }
        await deliverer.deliver(message, requestID: requestID)
    }

    private func followUp(adapter: any PlatformAdapter, event: PlatformEvent, requestID: String) -> FollowUp {
        let deliverer = self.deliverer
        return FollowUp { reply in
            guard let message = adapter.lateDelivery(of: reply, for: event) else {
                return .failed(reason: "\(adapter.name) has no way to send follow-ups for this request")
            }
            return await deliverer.deliver(message, requestID: requestID)
        }
    }

    private func log(_ level: LogLevel, _ message: String, _ requestID: String) {
        logger.log(level, message, tags: [("request", requestID), ("component", "platforms")])
    }
}
