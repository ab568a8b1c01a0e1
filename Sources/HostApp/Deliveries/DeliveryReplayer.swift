import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging
import Synchronization

/// Runs a recorded delivery again through the host's router, as received (or, for a record read back from a
/// file, as redacted), under a new request id; the new delivery is recorded as a replay of the old one. The
/// router is attached once it exists, since the admin route that replays is one of its routes.
public final class DeliveryReplayer: Sendable {
    let deliveries: DeliveryLog
    let logger: HostLogger
    private let router = Mutex<HostRouter?>(nil)

    public init(deliveries: DeliveryLog, logger: HostLogger) {
        self.deliveries = deliveries
        self.logger = logger
    }

    func attach(_ router: HostRouter) {
        self.router.withLock { $0 = router }
    }

    /// Replays delivery `id`: 404 when the log holds none, else 200 with the new delivery's record
    /// (`{"replayed": ID, "delivery": {…}}`).
    func replay(_ id: String) async -> HTTPResponse {
        guard let record = deliveries.find(id) else {
            return .error(IntegrationError.notFound("no delivery \(id) in the delivery log"))
        }
        guard let router = router.withLock({ $0 }) else {
            return .error(IntegrationError.unavailable("the host is starting", retryAfter: 1))
        }
        let request = DeliveryReplayer.request(from: record.request)
        let replayID = RequestID.make()
        let response = await PlatformGateway.$replayOf.withValue(id) {
            await router.route(request, context: RouteContext(requestID: replayID, proxy: nil))
        }
        logger.log(
            .notice, "replayed delivery \(id) of \(record.integration) as \(replayID): \(response.status.code)",
            tags: [("request", replayID)])
        let replayed = deliveries.list(record.integration).first { $0.id == replayID }
        var answer: [String: JSONValue] = ["replayed": .string(id), "request_id": .string(replayID)]
        answer["delivery"] = replayed?.json
            ?? ["status": .number(Double(response.status.code)), "reply": .string(String(decoding: response.body, as: UTF8.self))]
        return .json(.ok, bytes: JSONValue.object(answer).serializedBytes())
    }

    /// The HTTP request a record describes, from the peer it came from.
    static func request(from recorded: DeliveryRecord.Request) -> HTTPRequest {
        let target = recorded.query.isEmpty ? recorded.path : recorded.path + "?" + recorded.query
        let head = HTTPRequestHead(
            method: HTTPMethod(rawValue: recorded.method), target: target, path: recorded.path,
            rawQuery: recorded.query, version: HTTPVersion(major: 1, minor: 1), headers: HTTPHeaders(recorded.headers))
        return HTTPRequest(head: head, body: recorded.body, peer: recorded.peer)
    }
}
