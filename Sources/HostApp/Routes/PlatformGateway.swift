import Foundation
import HTTPServer
import HostCore
import IntegrationContract
import Logging
import Platforms

/// Drives a platform request through its adapter and the host: probe → verify (401 on failure, logged without
/// secrets) → decode → catalog lookup → dedupe → run through the dispatcher → the reply in the platform's format,
/// or, when the run is not done `ackMargin` before the platform's deadline, the adapter's ack now and the reply
/// later through `ReplyDeliverer`.
public final class PlatformGateway: Sendable {
    /// What a gateway is built from besides the host's catalog and dispatcher.
    public struct Settings: Sendable {
        public var routes: PlatformRoutes
        public var deliverer: ReplyDeliverer
        public var deduplicator: DeliveryDeduplicator
        /// How long before the platform's deadline the ack goes out.
        public var ackMargin: Duration
        /// How long a run that missed its answer deadline may go on before it is cancelled.
        public var runLimit: Duration
        /// The time signatures are checked against.
        public var clock: @Sendable () -> Date

        public init(
            routes: PlatformRoutes, deliverer: ReplyDeliverer,
            deduplicator: DeliveryDeduplicator = DeliveryDeduplicator(), ackMargin: Duration = .milliseconds(500),
            runLimit: Duration = .seconds(300), clock: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.routes = routes
            self.deliverer = deliverer
            self.deduplicator = deduplicator
            self.ackMargin = ackMargin
            self.runLimit = runLimit
            self.clock = clock
        }
    }

    public let routes: PlatformRoutes
    public let deliverer: ReplyDeliverer
    public let deduplicator: DeliveryDeduplicator
    public let ackMargin: Duration
    public let runLimit: Duration
    private let clock: @Sendable () -> Date
    private let catalog: Catalog
    private let dispatcher: Dispatcher
    /// The host's deadline for inline answers (`--deadline`); a platform's own may be shorter.
    private let deadline: Duration
    private let logger: HostLogger
    /// Where every request that reached an integration is recorded.
    public let deliveries: DeliveryLog

    /// The delivery a request replays (`replay REQUEST_ID`), while the replay runs: it skips the dedupe check (an
    /// admin asked for it again) and is recorded as a replay.
    @TaskLocal static var replayOf: String?

    public init(
        settings: Settings, catalog: Catalog, dispatcher: Dispatcher, deadline: Duration, logger: HostLogger,
        deliveries: DeliveryLog = DeliveryLog(capacity: 0)
    ) {
        self.deliveries = deliveries
        self.routes = settings.routes
        self.deliverer = settings.deliverer
        self.deduplicator = settings.deduplicator
        self.ackMargin = settings.ackMargin
        self.runLimit = settings.runLimit
        self.clock = settings.clock
        self.catalog = catalog
        self.dispatcher = dispatcher
        self.deadline = deadline
        self.logger = logger
    }

    /// Answers a request to a fixed platform route (`/`, `/hipchat`, `/slack`, `/mattermost`, `/teams`); a manifest's
    /// run records its trace in `trace` when given.
    public func handle(
        _ request: HTTPRequest, adapter: any PlatformAdapter, requestID: String, trace: TraceRecorder? = nil
    ) async -> HTTPResponse {
        if let probe = adapter.probe(request) { return probe }
        let proof: SenderProof?
        do throws(VerificationFailure) {
            proof = try adapter.verify(request, now: clock())
        } catch {
            return refuse(request, adapter: adapter, error, requestID)
        }
        if let answer = adapter.handshake(request) { return answer }
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(request)
        } catch {
            return .error(error)
        }
        event.notification.verifiedBy = proof
        let found: (any Integration)?
        switch event.target {
        case .command(let name): found = catalog.integration(forCommand: name)
        case .integration(let name): found = catalog.integration(named: name)
        }
        guard let integration = found else {
            log(.warning, "\(adapter.name): no integration answers /\(event.target.name)", requestID)
            return adapter.unknownTarget(for: event)
        }
        event.integration = integration.name
        return await recorded(request, integration: integration.name, platform: adapter.name, requestID: requestID) {
            await run(integration, event, adapter: adapter, request: request, requestID: requestID, trace: trace)
        }
    }

    /// Answers a webhook for `integration` (`/hooks/NAME`, or a route the integration declared, with its
    /// parameters): verified with the integration's secrets, decoded as its `payloadContentType` when it has one,
    /// answered with its own status and headers.
    public func handleWebhook(
        _ request: HTTPRequest, integration: any Integration, parameters: [String: String] = [:], requestID: String,
        trace: TraceRecorder? = nil
    ) async -> HTTPResponse {
        await recorded(request, integration: integration.name, platform: routes.hooks.name, requestID: requestID) {
            await webhook(request, integration: integration, parameters: parameters, requestID: requestID, trace: trace)
        }
    }

    private func webhook(
        _ request: HTTPRequest, integration: any Integration, parameters: [String: String], requestID: String,
        trace: TraceRecorder?
    ) async -> HTTPResponse {
        let adapter = routes.hooks
        var request = request
        if let contentType = integration.payloadContentType {
            request.head.headers = WebhookAdapter.headers(request.headers, forcingContentType: contentType)
        }
        let proof: SenderProof?
        do throws(VerificationFailure) {
            proof = try adapter.verify(request, integration: integration.name)
        } catch {
            return refuse(request, adapter: adapter, error, requestID)
        }
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(request, integration: integration.name)
        } catch {
            return .error(error)
        }
        event.notification.verifiedBy = proof
        event.integration = integration.name
        return await run(
            integration, event, adapter: adapter, request: request, requestID: requestID, parameters: parameters,
            trace: trace)
    }

    /// Answers with `answer` and records the request and its answer in the delivery log.
    private func recorded(
        _ request: HTTPRequest, integration: String, platform: String, requestID: String,
        _ answer: () async -> HTTPResponse
    ) async -> HTTPResponse {
        guard deliveries.capacity > 0 else { return await answer() }
        let started = ContinuousClock.now
        let response = await answer()
        let head = request.head
        deliveries.record(DeliveryRecord(
            id: requestID, replayOf: PlatformGateway.replayOf, integration: integration, platform: platform,
            duration: .now - started,
            request: DeliveryRecord.Request(
                method: head.method.rawValue, path: head.path, query: head.rawQuery, headers: head.headers.fields,
                body: request.body, peer: request.peer),
            answer: DeliveryRecord.Answer(
                status: response.status.code, contentType: response.headers["Content-Type"], body: response.body)))
        return response
    }

    private func refuse(
        _ request: HTTPRequest, adapter: any PlatformAdapter, _ failure: VerificationFailure, _ requestID: String
    ) -> HTTPResponse {
        logger.log(
            .warning, "\(adapter.name): refused \(request.path) from \(request.peer.host): \(failure.reason)",
            tags: [("request", requestID), ("component", "platforms")], throttle: "\(adapter.name) refused")
        return .error(failure.integrationError)
    }

    /// Dedupe, then the run: inline when it finishes in time, else ack and deliver later.
    private func run(
        _ integration: any Integration, _ received: PlatformEvent, adapter: any PlatformAdapter, request: HTTPRequest,
        requestID: String, parameters: [String: String] = [:], trace: TraceRecorder?
    ) async -> HTTPResponse {
        var received = received
        // A replay is run again on purpose: it neither checks nor claims the platform's delivery id.
        if PlatformGateway.replayOf != nil { received.deliveryID = nil }
        let event = received
        if let id = event.deliveryID, !deduplicator.claim(id) {
            let retry = request.headers["X-Slack-Retry-Num"].map { " (retry \($0))" } ?? ""
            log(.info, "\(adapter.name): delivery already handled\(retry), acknowledged without running", requestID)
            return HTTPResponse(status: .ok)
        }
        var invocation = dispatcher.invocation(
            for: integration, notification: event.notification, query: event.query, request: InvocationRequest(request),
            requestID: requestID, routeParameters: parameters)
        invocation.followUp = followUp(adapter: adapter, event: event, requestID: requestID)
        invocation.trace = trace
        guard event.repliesInline else {
            let invocation = invocation
            let started = dispatcher.background.run {
                let outcome = await self.dispatcher.run(integration, invocation, deadline: self.runLimit)
                await self.deliverLate(outcome, adapter: adapter, event: event, requestID: requestID)
            }
            guard started != nil else { return .error(IntegrationError.unavailable("the host is shutting down", retryAfter: 5)) }
            return adapter.ack(for: event)
        }
        // Platforms that take an ack get one margin (theirs, else the gateway's) before their deadline, and one
        // `ackMargin` before the host's; the others wait the whole of it.
        let answerBy = min(adapter.answerDeadline, deadline)
        let wait = adapter.acksLateRuns
            ? max(min(adapter.answerDeadline - (adapter.ackMargin ?? ackMargin), deadline - ackMargin), .zero) : answerBy
        switch await dispatcher.run(integration, invocation, deadline: wait) {
        case .replied(let reply):
            return adapter.render(reply, for: event)
        case .failed(let error):
            if let id = event.deliveryID { deduplicator.release(id) }
            return adapter.failure(error.prefixed(with: integration.name), for: event)
        case .timedOut(let pending) where !adapter.acksLateRuns:
            pending.cancel()
            if let id = event.deliveryID { deduplicator.release(id) }
            return .error(
                IntegrationError.timedOut("\(integration.name) did not answer within \(Dispatcher.milliseconds(wait)) ms"))
        case .timedOut(let pending):
            log(.info, "\(adapter.name): \(integration.name) still running after \(wait); acked, reply follows", requestID)
            let remaining = max(runLimit - wait, .zero)
            let delivery = dispatcher.background.run {
                let outcome = await self.dispatcher.race(pending, deadline: remaining)
                await self.deliverLate(outcome, adapter: adapter, event: event, requestID: requestID)
            }
            if delivery == nil {
                pending.cancel()
                log(.warning, "\(adapter.name): shutting down; the late reply of \(integration.name) is dropped", requestID)
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
            reply = Reply("\(name) failed: \(error.message)", visibility: .ephemeral)
        case .timedOut(let pending):
            pending.cancel()
            log(.error, "\(adapter.name): \(name) cancelled after running \(runLimit)", requestID)
            reply = Reply("\(name) ran out of time", visibility: .ephemeral)
        }
        guard let message = adapter.lateDelivery(of: reply, for: event) else {
            let reason = adapter.noWayBack(for: event).map { " (\($0))" } ?? ""
            log(
                .info, "\(adapter.name): the reply of \(name) has no way back\(reason); logged only: \(reply.text.prefix(200))",
                requestID)
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
            switch await deliverer.deliver(message, requestID: requestID) {
            case .delivered: return .delivered
            case .overBudget: return .overBudget
            case .failed(let reason): return .failed(reason: reason)
            }
        }
    }

    private func log(_ level: LogLevel, _ message: String, _ requestID: String) {
        logger.log(level, message, tags: [("request", requestID), ("component", "platforms")])
    }
}
