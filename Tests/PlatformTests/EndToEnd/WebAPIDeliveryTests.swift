import Crypto
import Foundation
import HTTPServer
import IntegrationContract
import Platforms
import JSON
import Synchronization
import Testing
import TestSupport

/// How late replies read their destinations' answers: Slack's Web API `ok:false` errors, `Retry-After` within the
/// retry budget, the Web API's JSON content type. Each server here plays Slack on loopback; waits between tries are
/// recorded by an injected sleeper instead of measured.
@Suite struct WebAPIDeliveryTests {
    /// Records each wait the deliverer asks for and returns at once.
    final class RecordedWaits: Sendable {
        private let waits = Mutex<[Duration]>([])
        var sleep: @Sendable (Duration) async throws -> Void { { duration in self.waits.withLock { $0.append(duration) } } }
        var all: [Duration] { waits.withLock { $0 } }
    }

    static func webAPIMessage(_ server: LoopbackServer) -> OutboundMessage {
        OutboundMessage(
            url: server.url("/api/chat.postMessage"), headers: [("Authorization", "Bearer xoxb-1")],
            body: Array(#"{"channel":"C1","text":"hi"}"#.utf8), acceptance: .slackWebAPI)
    }

    /// Slack answers Web API errors with HTTP 200 and `{"ok": false, "error": code}`
    /// (https://api.slack.com/web#evaluating_responses). A late slash-command reply whose response_url refuses
    /// falls back to chat.postMessage; `not_in_channel` there is a failure logged with Slack's code, never
    /// "delivered", and not retried: another try cannot help (https://api.slack.com/methods/chat.postMessage#errors).
    /// Every Web API call is JSON with `charset=utf-8` (https://api.slack.com/web#posting_json).
    @Test func okFalseIsAFailedDeliveryLoggedWithSlacksCode() async throws {
        let chat = RecordingHandler(answers: [.init(body: #"{"ok":false,"error":"not_in_channel"}"#)])
        let chatServer = try LoopbackServer(chat)
        let responses = RecordingHandler(answers: [.init(status: 404, body: #"{"ok":false,"error":"expired_url"}"#)])
        let responseServer = try LoopbackServer(responses)
        let finish = Gate()
        let slow = TestIntegration("slow") { _ in
            await finish.pass()
            return Reply("done", visibility: .inChannel)
        }
        let host = try PlatformTestHost(
            tokens: [
                "slack_signing_secret:\(DeferredDeliveryTests.secret)", "slow.slack_bot_token:xoxb-slow",
                "slack_api_url:\(chatServer.url("/api"))",
            ],
            integrations: [slow], deadline: .seconds(1))
        let command = DeferredDeliveryTests.slackCommand(
            "slow", text: "go", responseURL: responseServer.url("/commands/T1/9/q"), trigger: "tr-okfalse")
        let ack = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(ack.status == 200)
        finish.open()

        let refused = "reply to http://127.0.0.1:\(chatServer.port) refused: Slack error not_in_channel"
        #expect(await eventually { host.log.contains(refused) }, "\(host.log)")
        #expect(responses.received.count == 1)
        let posted = chat.received
        #expect(posted.count == 1)
        #expect(posted.first?.path == "/api/chat.postMessage")
        #expect(posted.first?.headers["Content-Type"] == "application/json; charset=utf-8")
        #expect(posted.first?.json == ["channel": "C1", "text": "done"])
        #expect(!host.log.contains("reply delivered"))
        await host.stop()
        await chatServer.stop()
        await responseServer.stop()
    }

    /// Transient Web API errors are tried again: `ratelimited` after the `Retry-After` Slack sends with its 429
    /// (https://api.slack.com/apis/rate-limits), `internal_error` after the backoff
    /// (https://api.slack.com/methods/chat.postMessage#errors). `fatal_error` is not: part of the call may have
    /// succeeded, and a second try could post twice. A 2xx without `"ok": true` is no delivery either.
    @Test func transientSlackErrorsAreRetriedOthersAreNot() async throws {
        let chat = RecordingHandler(answers: [
            .init(status: 429, body: #"{"ok":false,"error":"ratelimited"}"#, headers: ["Retry-After": "3"]),
            .init(body: #"{"ok":false,"error":"internal_error"}"#),
            .init(body: #"{"ok":true,"ts":"1.2"}"#),
            .init(body: #"{"ok":false,"error":"fatal_error"}"#),
            .init(body: "<html>ok</html>"),
        ])
        let chatServer = try LoopbackServer(chat)
        let waits = RecordedWaits()
        let policy = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(500))
        let deliverer = ReplyDeliverer(policy: policy, sleep: waits.sleep)

        let retried = await deliverer.deliver(Self.webAPIMessage(chatServer), requestID: "t")
        #expect(retried == .delivered(status: 200, attempts: 3))
        #expect(waits.all == [.seconds(3), policy.delay(after: 2)])

        let fatal = await deliverer.deliver(Self.webAPIMessage(chatServer), requestID: "t")
        #expect(fatal == .failed(reason: "Slack error fatal_error"))
        let notJSON = await deliverer.deliver(Self.webAPIMessage(chatServer), requestID: "t")
        #expect(notJSON == .failed(reason: "HTTP 200 without \"ok\": true from the Slack Web API"))
        #expect(chat.received.count == 5)
        #expect(waits.all.count == 2)
        await chatServer.stop()
    }

    /// `Retry-After` on a 429 or 503 (https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3) sets the next try's
    /// wait when it fits what is left of the retry budget; one that does not fails the message at once, with the
    /// reason, instead of spending the tries early.
    @Test func retryAfterIsHonouredWithinTheRetryBudget() async throws {
        let sink = RecordingHandler(answers: [
            .init(status: 503, headers: ["Retry-After": "2"]),
            .init(status: 429, headers: ["Retry-After": "5"]),
            .init(status: 200),
            .init(status: 503, headers: ["Retry-After": "120"]),
        ])
        let sinkServer = try LoopbackServer(sink)
        let waits = RecordedWaits()
        let deliverer = ReplyDeliverer(policy: RetryPolicy(maxAttempts: 4, retryBudget: .seconds(60)), sleep: waits.sleep)
        let message = OutboundMessage(url: sinkServer.url("/commands/1"), body: Array(#"{"text":"x"}"#.utf8))

        let honoured = await deliverer.deliver(message, requestID: "t")
        #expect(honoured == .delivered(status: 200, attempts: 3))
        #expect(waits.all == [.seconds(2), .seconds(5)])

        let tooLong = await deliverer.deliver(message, requestID: "t")
        #expect(sink.received.count == 4)
        #expect(waits.all.count == 2)
        guard case .failed(let reason) = tooLong else {
            Issue.record("expected a failure, got \(tooLong)")
            return
        }
        #expect(reason.hasPrefix("HTTP 503; the next try would wait 120.0 seconds, past what is left of the retry budget"), "\(reason)")

        // Retry-After may also be an HTTP date: the wait is the time until then (30 s ahead here; the bounds only
        // allow for the moments between writing the header and reading it).
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let dated = RecordingHandler(answers: [
            .init(status: 429, headers: ["Retry-After": formatter.string(from: Date().addingTimeInterval(30))]),
        ])
        let datedServer = try LoopbackServer(dated)
        let datedWaits = RecordedWaits()
        let datedDeliverer = ReplyDeliverer(sleep: datedWaits.sleep)
        let afterDate = await datedDeliverer.deliver(
            OutboundMessage(url: datedServer.url("/commands/2"), body: Array(#"{"text":"x"}"#.utf8)), requestID: "t")
        #expect(afterDate == .delivered(status: 200, attempts: 2))
        let wait = try #require(datedWaits.all.first)
        #expect(wait > .seconds(20) && wait <= .seconds(31), "\(wait)")
        await datedServer.stop()
        await sinkServer.stop()
    }
}
