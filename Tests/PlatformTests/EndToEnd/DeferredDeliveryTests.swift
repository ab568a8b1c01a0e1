import Crypto
import Foundation
import HTTPClient
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Testing
import TestSupport

/// Late replies: the ack within the platform's deadline, the reply at a local response_url server, retries with
/// backoff, the response_url budget, chat-API fallback, and follow-ups.
@Suite struct DeferredDeliveryTests {
    static let secret = "deferral-secret"

    /// A Slack slash command signed now, whose response_url points at `responseURL`.
    static func slackCommand(_ command: String, text: String, responseURL: URL, trigger: String) -> (headers: [String: String], body: String) {
        let encodedURL = responseURL.absoluteString.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let body = "team_id=T1&channel_id=C1&channel_name=ops&user_id=U1&user_name=ada&command=%2F\(command)&text=\(text)"
            + "&response_url=\(encodedURL)&trigger_id=\(trigger)"
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = SlackSignature.signature(secret: secret, timestamp: timestamp, body: Array(body.utf8))
        return ([
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        ], body)
    }

    /// The ack must beat Slack's 3 s while the integration is still running: the host waits for an inline answer
    /// until 500 ms before Slack's deadline, then acks, and posts the reply to the response_url once there is one.
    @Test func slowSlackCommandIsAckedInTimeAndItsReplyArrivesLaterDespiteA5xx() async throws {
        let responses = RecordingHandler(statuses: [503])
        let responseServer = try LoopbackServer(responses)
        let finish = Gate()
        let slow = TestIntegration("slow") { invocation in
            await finish.pass()
            return Reply("done: \(invocation.query)", visibility: .inChannel)
        }
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(Self.secret)"], integrations: [slow])
        let command = Self.slackCommand(
            "slow", text: "b%C3%BCild", responseURL: responseServer.url("/commands/T1/1/x"), trigger: "tr-1")
        let ack = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(ack.status == 200 && ack.body.isEmpty)
        // Acked by the deadline the host set for Slack (not by the run finishing: it cannot until the gate opens), and
        // nothing posted yet.
        #expect(host.log.contains("slack: slow still running after 2.5 seconds; acked, reply follows"), "\(host.log)")
        #expect(responses.received.isEmpty)
        finish.open()

        // The response_url answers 503 first: that reply is posted again after a backoff.
        let received = await responses.waitFor(2)
        #expect(received.count == 2)
        for post in received {
            #expect(post.path == "/commands/T1/1/x")
            #expect(post.headers["Content-Type"] == "application/json")
            #expect(post.headers["User-Agent"] == "integration-host/\(HostVersion.current)")
            #expect(post.json == ["response_type": "in_channel", "text": "done: büild"])
        }
        // The host logs the delivery after it has read the response_url's answer: wait for the line.
        let delivered = "reply delivered to http://127.0.0.1:\(responseServer.port): 200 after 2 tries"
        #expect(await eventually { host.log.contains(delivered) })
        await host.stop()
        await responseServer.stop()
    }

    /// Slack's response_url takes late replies (https://api.slack.com/interactivity/handling#message_responses).
    @Test func lateDeliveryRetriesWithBackoffOn5xx() async throws {
        let responses = RecordingHandler(statuses: [503, 500])
        let responseServer = try LoopbackServer(responses)
        let deliverer = ReplyDeliverer(policy: RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(100), multiplier: 2))
        let message = OutboundMessage(
            url: responseServer.url("/r/1"), body: Array(#"{"text":"x"}"#.utf8), budgetKey: "r1")
        let outcome = await deliverer.deliver(message, requestID: "t")
        #expect(outcome == .delivered(status: 200, attempts: 3))
        let received = responses.received
        #expect(received.count == 3)
        if received.count == 3 {
            #expect(received[1].at - received[0].at >= .milliseconds(100))
            #expect(received[2].at - received[1].at >= .milliseconds(200))
        }
        await responseServer.stop()
    }

    /// A 4xx from a response_url is final (https://api.slack.com/interactivity/handling#message_responses).
    @Test func lateDeliveryGivesUpAfterMaxAttemptsAndDoesNotRetry4xx() async throws {
        let failing = RecordingHandler(statuses: [502, 502, 502, 502, 502])
        let failingServer = try LoopbackServer(failing)
        let deliverer = ReplyDeliverer(policy: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(20)))
        let outcome = await deliverer.deliver(OutboundMessage(url: failingServer.url("/x"), body: []), requestID: "t")
        #expect(outcome == .failed(reason: "HTTP 502"))
        #expect(failing.received.count == 3)

        let refusing = RecordingHandler(statuses: [404])
        let refusingServer = try LoopbackServer(refusing)
        let refused = await deliverer.deliver(OutboundMessage(url: refusingServer.url("/x"), body: []), requestID: "t")
        #expect(refused == .failed(reason: "HTTP 404"))
        #expect(refusing.received.count == 1)

        // Nobody listening: network errors are retried, then given up.
        let closedPort = failingServer.port
        await failingServer.stop()
        let unreachable = await deliverer.deliver(
            OutboundMessage(url: URL(string: "http://127.0.0.1:\(closedPort)/x")!, body: []), requestID: "t")
        if case .failed(let reason) = unreachable { #expect(reason.hasPrefix("network error")) } else {
            Issue.record("expected a network failure, got \(unreachable)")
        }
        await refusingServer.stop()
    }

    /// At most five posts to one response_url in 30 minutes (https://api.slack.com/interactivity/handling#message_responses),
    /// then the Web API: a reply that does not say is ephemeral, as the command's inline answer would be, so it goes
    /// through chat.postEphemeral (https://api.slack.com/methods/chat.postEphemeral); an in-channel one through
    /// chat.postMessage (https://api.slack.com/methods/chat.postMessage).
    @Test func followUpsShareTheBudgetThenFallBackToTheChatAPI() async throws {
        let chat = RecordingHandler()
        let chatServer = try LoopbackServer(chat)
        let responses = RecordingHandler()
        let responseServer = try LoopbackServer(responses)
        let chatty = TestIntegration("chatty") { invocation in
            var sent = 0
            var refused: [Int] = []
            for i in 1...7 {
                do {
                    try await invocation.followUp?.send(Reply("step \(i)", visibility: i == 7 ? .inChannel : nil))
                    sent += 1
                } catch {
                    refused.append((error as? IntegrationError)?.status.code ?? 0)
                }
            }
            return Reply("sent \(sent), refused \(refused)")
        }
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(Self.secret)"], integrations: [chatty])
        let command = Self.slackCommand("chatty", text: "go", responseURL: responseServer.url("/commands/T1/2/y"), trigger: "tr-2")
        let answer = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(answer.json?["text"] == "sent 5, refused [429, 429]")
        #expect(responses.received.map { $0.json?["text"]?.stringValue ?? "" } == (1...5).map { "step \($0)" })
        await host.stop()

        // With a bot token, what the response_url budget refuses goes through chat.postMessage.
        let withAPI = try PlatformTestHost(
            tokens: ["slack_signing_secret:\(Self.secret)", "chatty.slack_bot_token:xoxb-test", "slack_api_url:\(chatServer.url("/api"))"],
            integrations: [chatty])
        let again = Self.slackCommand("chatty", text: "go", responseURL: responseServer.url("/commands/T1/3/z"), trigger: "tr-3")
        let second = try await Client.post(withAPI.url("/slack"), headers: again.headers, body: again.body)
        #expect(second.json?["text"] == "sent 7, refused []")
        let viaAPI = chat.received
        #expect(viaAPI.count == 2)
        #expect(viaAPI.map(\.path) == ["/api/chat.postEphemeral", "/api/chat.postMessage"])
        #expect(viaAPI.allSatisfy { $0.headers["Authorization"] == "Bearer xoxb-test" })
        #expect(viaAPI.first?.json == ["channel": "C1", "user": "U1", "text": "step 6"])
        #expect(viaAPI.last?.json == ["channel": "C1", "text": "step 7"])
        await withAPI.stop()
        await responseServer.stop()
        await chatServer.stop()
    }

    /// A late failure goes to the response_url as an ephemeral message (https://api.slack.com/interactivity/slash-commands#responding_with_errors).
    @Test func lateFailureIsReportedToTheChat() async throws {
        let responses = RecordingHandler()
        let responseServer = try LoopbackServer(responses)
        let fail = Gate()
        let broken = TestIntegration("broken") { _ in
            await fail.pass()
            throw IntegrationError(status: 502, "upstream down")
        }
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(Self.secret)"], integrations: [broken])
        let command = Self.slackCommand("broken", text: "", responseURL: responseServer.url("/commands/T1/4/w"), trigger: "tr-4")
        let ack = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(ack.status == 200)
        fail.open()
        let received = await responses.waitFor(1)
        #expect(received.first?.json == ["response_type": "ephemeral", "text": "broken failed: upstream down"])
        await host.stop()
        await responseServer.stop()
    }
}

/// Slack's Events API over HTTP: the challenge, an app_mention answered through chat.postMessage, and Slack's
/// retries (`X-Slack-Retry-Num`) acknowledged without running twice.
@Suite struct SlackEventsEndToEndTests {
    static func signed(_ body: String, secret: String, retry: Int? = nil) -> [String: String] {
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var headers = [
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SlackSignature.signature(secret: secret, timestamp: timestamp, body: Array(body.utf8)),
        ]
        if let retry { headers["X-Slack-Retry-Num"] = String(retry) }
        return headers
    }

    /// Events API retries carry `X-Slack-Retry-Num` and must not run twice (https://api.slack.com/apis/events-api#retries).
    @Test func mentionChallengeAndRetries() async throws {
        let chat = RecordingHandler()
        let chatServer = try LoopbackServer(chat)
        let deploy = TestIntegration("deploy") { Reply("deploying \($0.query)") }
        let secret = "events-secret"
        let host = try PlatformTestHost(
            tokens: ["slack_signing_secret:\(secret)", "slack_bot_token:xoxb-1", "slack_api_url:\(chatServer.url("/api"))"],
            integrations: [deploy])
        let url = host.url("/slack")

        let challengeBody = #"{"type":"url_verification","challenge":"abc123","token":"t"}"#
        let challenge = try await Client.post(url, headers: Self.signed(challengeBody, secret: secret), body: challengeBody)
        #expect(challenge.json == ["challenge": "abc123"])
        let unsigned = try await Client.post(url, headers: ["Content-Type": "application/json"], body: challengeBody)
        #expect(unsigned.status == 401)

        let mention = #"{"type":"event_callback","team_id":"T1","event_id":"Ev9","event":{"type":"app_mention","user":"U1","text":"<@U0BOT> deploy prod","ts":"1.2","channel":"C9"}}"#
        let first = try await Client.post(url, headers: Self.signed(mention, secret: secret), body: mention)
        #expect(first.status == 200 && first.body.isEmpty)
        let retried = try await Client.post(url, headers: Self.signed(mention, secret: secret, retry: 1), body: mention)
        #expect(retried.status == 200 && retried.body.isEmpty)

        let posted = await chat.waitFor(1)
        #expect(posted.first?.path == "/api/chat.postMessage")
        #expect(posted.first?.headers["Authorization"] == "Bearer xoxb-1")
        #expect(posted.first?.json == ["channel": "C9", "text": "deploying prod"])
        // The retry was answered without starting a run, so no second one can still be on its way.
        #expect(host.log.contains("slack: delivery already handled (retry 1), acknowledged without running"))
        #expect(deploy.runs == 1)
        #expect(chat.received.count == 1)
        await host.stop()
        await chatServer.stop()
    }

    /// Events chatter (a mention whose first word is no command) is answered 200 and ignored: Slack retries failed
    /// events and disables subscriptions that keep failing (https://api.slack.com/apis/events-api#failure_conditions).
    /// A failing command started from an event is shown only to its sender through chat.postEphemeral, since
    /// chat.postMessage has no ephemeral mode (https://api.slack.com/methods/chat.postEphemeral).
    @Test func chatterIsIgnoredAndFailuresGoOnlyToTheirSender() async throws {
        let chat = RecordingHandler()
        let chatServer = try LoopbackServer(chat)
        let broken = TestIntegration("deploy") { _ in throw IntegrationError.internalError("no such environment") }
        let secret = "events-secret"
        let host = try PlatformTestHost(
            tokens: ["slack_signing_secret:\(secret)", "slack_bot_token:xoxb-1", "slack_api_url:\(chatServer.url("/api"))"],
            integrations: [broken])
        let url = host.url("/slack")

        let chatter = #"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"app_mention","user":"U1","text":"<@U0BOT> thanks a lot","ts":"1.1","channel":"C9"}}"#
        let thanks = try await Client.post(url, headers: Self.signed(chatter, secret: secret), body: chatter)
        #expect(thanks.status == 200 && thanks.body.isEmpty)

        let failing = #"{"type":"event_callback","team_id":"T1","event_id":"Ev2","event":{"type":"app_mention","user":"U1","text":"<@U0BOT> deploy moon","ts":"1.2","channel":"C9"}}"#
        let acked = try await Client.post(url, headers: Self.signed(failing, secret: secret), body: failing)
        #expect(acked.status == 200 && acked.body.isEmpty)
        let posted = await chat.waitFor(1)
        #expect(posted.first?.path == "/api/chat.postEphemeral")
        #expect(posted.first?.json == ["channel": "C9", "user": "U1", "text": "deploy failed: no such environment"])
        #expect(broken.runs == 1)
        await host.stop()
        await chatServer.stop()
    }
}

/// Late replies on the other platforms, with the host's `--deadline` of 1 s capping the platforms' own (the ack goes
/// out 500 ms before it): Mattermost to its response_url (with the poster's name), Teams to its incoming webhook,
/// GitHub acked 202 and logged.
/// Slack interactivity (https://api.slack.com/interactivity/handling#payloads): a form whose `payload` is the JSON
/// document, answered 200 within 3 s or the user sees an error; the reply goes to the payload's `response_url`
/// (https://api.slack.com/interactivity/handling#message_responses).
@Suite struct SlackInteractivityEndToEndTests {
    static func signedForm(_ payload: String, secret: String) -> (headers: [String: String], body: String) {
        let body = "payload=" + payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        var headers = SlackEventsEndToEndTests.signed(body, secret: secret)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return (headers, body)
    }

    /// A button whose `action_id` is `deploy:confirm` runs `deploy` with the button's value; the click is acked
    /// with an empty 200 and the reply posted to the `response_url`. A button naming nothing loaded, and an
    /// interaction type the host does not run, are acked 200 and run nothing; an unsigned one is 401.
    @Test func blockActionsRunTheNamedIntegrationAndReplyToTheResponseURL() async throws {
        let chat = RecordingHandler()
        let chatServer = try LoopbackServer(chat)
        let deploy = TestIntegration("deploy") { invocation in
            Reply("deploying \(invocation.query) for \(invocation.notification.sender?.name ?? "?")")
        }
        let secret = "interactivity-secret"
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(secret)"], integrations: [deploy])
        let url = host.url("/slack")
        let responseURL = chatServer.url("/actions/T1/1/abc").absoluteString

        let click = #"{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1","username":"ada","name":"ada"},"channel":{"id":"C9","name":"ops"},"trigger_id":"1.2.abc","response_url":"\#(responseURL)","actions":[{"type":"button","action_id":"deploy:confirm","block_id":"b1","value":"prod","action_ts":"1.3"}]}"#
        let form = Self.signedForm(click, secret: secret)
        let acked = try await Client.post(url, headers: form.headers, body: form.body)
        #expect(acked.status == 200 && acked.body.isEmpty)
        let posted = await chat.waitFor(1)
        #expect(posted.first?.path == "/actions/T1/1/abc")
        #expect(posted.first?.json?["text"] == "deploying prod for ada")

        let nobody = click.replacingOccurrences(of: "deploy:confirm", with: "weather").replacingOccurrences(
            of: "1.2.abc", with: "1.2.def")
        let ignored = Self.signedForm(nobody, secret: secret)
        let ignoredAnswer = try await Client.post(url, headers: ignored.headers, body: ignored.body)
        #expect(ignoredAnswer.status == 200 && ignoredAnswer.body.isEmpty)

        let closed = Self.signedForm(#"{"type":"view_closed","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"deploy"}}"#, secret: secret)
        let closedAnswer = try await Client.post(url, headers: closed.headers, body: closed.body)
        #expect(closedAnswer.status == 200 && closedAnswer.body.isEmpty)

        let unsigned = try await Client.post(
            url, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: form.body)
        #expect(unsigned.status == 401)
        #expect(deploy.runs == 1)
        #expect(chat.received.count == 1)
        await host.stop()
        await chatServer.stop()
    }
}

@Suite struct OtherPlatformsDeferralTests {
    /// Late Mattermost and Teams replies reach their URLs even when the first attempt of each gets a 5xx; GitHub's
    /// has no way back and is logged.
    @Test func mattermostTeamsAndGitHub() async throws {
        let sink = RecordingHandler(statuses: [503, 502])
        let sinkServer = try LoopbackServer(sink)
        let mattermost = try Fixtures.load("mattermost/slash_command.json")
        let teams = try Fixtures.load("teams/outgoing_webhook.json")
        let push = try Fixtures.load("github/signing_vectors.json")["push"]
        let finish = Gate()
        let echo = TestIntegration("echo") { invocation in
            await finish.pass()
            return Reply("late \(invocation.notification.platform.rawValue): \(invocation.query)")
        }
        let host = try PlatformTestHost(
            tokens: [
                "mattermost_token:\(Fixtures.string(mattermost, "token"))",
                "teams_secret:\(Fixtures.string(teams, "security_token_base64"))",
                "echo.teams_webhook_url:\(sinkServer.url("/teams-incoming"))",
                "echo.github_secret:\(Fixtures.string(push, "secret"))",
            ],
            integrations: [echo], deadline: .seconds(1))
        let responseURL = sinkServer.url("/mm/response").absoluteString
        let mattermostBody = Fixtures.string(mattermost, "body").replacingOccurrences(
            of: "http%3A%2F%2F127.0.0.1%3A18999%2Fhooks%2Fcommands%2Fqj3bsz7q4ty8f8m5i71a6o58ao",
            with: responseURL.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)

        let mmAck = try await Client.post(
            host.url("/mattermost"), headers: ["Content-Type": "application/x-www-form-urlencoded"], body: mattermostBody)
        #expect(mmAck.status == 200 && mmAck.body.isEmpty)  // the ack, not the reply: that one comes later

        let teamsAck = try await Client.post(
            host.url("/teams"),
            headers: ["Content-Type": "application/json", "Authorization": Fixtures.string(teams, "authorization_header")],
            body: Fixtures.string(teams, "body"))
        #expect(teamsAck.status == 200 && teamsAck.body.isEmpty)

        let githubAck = try await Client.post(
            host.url("/hooks/echo"),
            headers: [
                "Content-Type": "application/json", "X-GitHub-Event": "push",
                "X-GitHub-Delivery": Fixtures.string(push, "delivery"),
                "X-Hub-Signature-256": Fixtures.string(push, "x_hub_signature_256"),
            ], body: Fixtures.string(push, "payload"))
        #expect(githubAck.status == 202)
        for platform in ["mattermost", "teams", "hooks"] {
            #expect(host.log.contains("\(platform): echo still running after 0.5 seconds; acked, reply follows"))
        }
        finish.open()

        // The first two deliveries (whichever platform they were for) got 503 and 502 and were sent again: four
        // requests in all, each path's last one answered 200, and every attempt carried the same reply.
        let received = await sink.waitFor(4)
        #expect(received.count == 4)
        let byPath = Dictionary(grouping: received, by: \.path).mapValues { $0.map(\.json) }
        let mattermostReply: JSONValue = ["response_type": "ephemeral", "text": "late mattermost: status now", "username": "echo"]
        let teamsReply: JSONValue = ["text": "late teams: hello teams"]
        #expect(byPath["/mm/response"]?.allSatisfy { $0 == mattermostReply } == true)
        #expect(byPath["/teams-incoming"]?.allSatisfy { $0 == teamsReply } == true)
        #expect(Set(byPath.keys) == ["/mm/response", "/teams-incoming"])
        let loggedOnly = "hooks: the reply of echo has no way back; logged only: late github: "
        #expect(await eventually { host.log.contains(loggedOnly) })
        #expect(echo.runs == 3)
        await host.stop()
        await sinkServer.stop()
    }
}
