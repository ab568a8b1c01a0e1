import Foundation
import HTTPServer
import JSON
import Testing
import TestSupport

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

extension PluginTests {
    /// Calling plugins: the built examples answer through the ABI, the host API works from C, errors become
    /// `IntegrationError`s, concurrent calls lose no update.
    @Suite struct PluginCallTests {
        let loader = PluginLoader()

        private func load(_ file: URL) throws -> PluginIntegration {
            try #require(try loader.load(file: file).first as? PluginIntegration)
        }

        @Test func swiftExampleLogsStoresAndReplies() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, logText) = try PluginFixtures.logger(in: directory)
            let storage = Storage()
            let parrot = try load(try PluginFixtures.builtPlugin("ParrotPlugin"))

            let first = try await parrot.run(PluginFixtures.invocation("parrot", storage: storage, logger: logger))
            #expect(first == Reply("Example Name: testing me (parrot #1)", color: .green))
            let second = try await parrot.run(
                PluginFixtures.invocation(
                    "parrot", text: "/parrot again", query: "again", storage: storage, logger: logger,
                    requestID: "req-2"))
            #expect(second?.text == "Example Name: again (parrot #2), previously Example Name: testing me")

            #expect(storage.namespace("parrot").get("last") == ["query": "again", "sender": "Example Name"])
            #expect(storage.namespace("parrot").get("count") == 2)
            let log = logText()
            #expect(log.contains("info request=req-1 integration=parrot Example Name said: /echo testing me\n"))
            #expect(log.contains("info request=req-2 integration=parrot Example Name said: /parrot again\n"))
        }

        @Test func swiftExampleThrowingGivesA500WithTheDescription() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let parrot = try load(try PluginFixtures.builtPlugin("ParrotPlugin"))
            let invocation = try PluginFixtures.invocation(
                "parrot", text: "/parrot", query: "", storage: Storage(), logger: logger)
            let error = try await #require(throws: IntegrationError.self) { try await parrot.run(invocation) }
            #expect(error.status == 500)
            #expect(error.message == "nothing to repeat: try /parrot hello")
            // The plugin keeps serving after a failure.
            let ok = try await parrot.run(PluginFixtures.invocation("parrot", storage: Storage(), logger: logger))
            #expect(ok?.text == "Example Name: testing me (parrot #1)")
        }

        @Test func cExampleCountsAndReplies() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, logText) = try PluginFixtures.logger(in: directory)
            let storage = Storage()
            let counter = try load(try PluginFixtures.builtPlugin("CounterPlugin"))
            let reply = try await counter.run(PluginFixtures.invocation("counter", storage: storage, logger: logger))
            #expect(reply == Reply("count is 1", color: .purple))
            #expect(storage.namespace("counter").get("count") == 1)
            #expect(logText().contains("info request=req-1 integration=counter count is 1\n"))
        }

        /// The benchmark's plugin twin of `integrations/echo.json` gives the manifest's reply: the same job, so the
        /// peer benchmark compares the two paths and nothing else.
        @Test func benchmarkEchoPluginRepliesAsTheEchoManifest() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let echo = try load(try PluginFixtures.builtPlugin("EchoPlugin"))
            #expect(echo.name == "echo")
            #expect(echo.commands == ["echo"])
            let reply = try await echo.run(PluginFixtures.invocation("echo", storage: Storage(), logger: logger))
            #expect(reply == Reply("testing me"))
        }

        @Test(arguments: ["ParrotPlugin", "CounterPlugin"])
        func concurrentCallsLoseNoUpdate(product: String) async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let storage = Storage()
            let plugin = try load(try PluginFixtures.builtPlugin(product))
            let invocation = try PluginFixtures.invocation(plugin.name, storage: storage, logger: logger)
            let replies = try await withThrowingTaskGroup(of: Reply?.self) { group in
                for _ in 0..<200 { group.addTask { try await plugin.run(invocation) } }
                return try await group.reduce(into: [Reply?]()) { $0.append($1) }
            }
            #expect(replies.count == 200)
            #expect(replies.allSatisfy { $0 != nil })
            #expect(storage.namespace(plugin.name).get("count") == 200)
        }

        @Test func hostAPIFromC() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("apitest.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(
                    name: "apitest",
                    prelude: """
                        static char out[2048];
                        static size_t used;
                        static void note(const char *label, int32_t status, struct integration_string s) {
                            used += snprintf(out + used, sizeof out - used, "%s=%d", label, status);
                            if (s.data) used += snprintf(out + used, sizeof out - used, ":%s(%zu,%d)", s.data, s.length,
                                                         s.data[s.length] == 0);
                            used += snprintf(out + used, sizeof out - used, " ");
                        }
                        #define S(x) x, strlen(x)
                        """,
                    body: """
                        struct integration_string s = {0}, none = {0};
                        double d = 0;
                        used = 0;
                        note("req", request[request_len] == 0 && request[0] == '{', none);
                        note("set", api->storage_set(host_ctx, S("a"), S("{\\"x\\": [1, 2]}")), none);
                        note("get", api->storage_get(host_ctx, S("a"), &s), s);
                        note("get-missing", api->storage_get(host_ctx, S("zz"), &s), s);
                        note("set-bad", api->storage_set(host_ctx, S("b"), S("{nope")), none);
                        note("set-empty-key", api->storage_set(host_ctx, "", 0, S("1")), none);
                        note("inc", api->storage_increment(host_ctx, S("n"), 2.5, &d), none);
                        note("inc-value", (int32_t)(d * 10), none);
                        note("inc-mismatch", api->storage_increment(host_ctx, S("a"), 1, &d), none);
                        note("cas", api->storage_compare_and_set(host_ctx, S("a"), S("{\\"x\\":[1,2]}"), S("\\"y\\"")), none);
                        note("cas-again", api->storage_compare_and_set(host_ctx, S("a"), S("{\\"x\\":[1,2]}"), S("\\"z\\"")), none);
                        note("cas-absent", api->storage_compare_and_set(host_ctx, S("c"), NULL, 0, S("true")), none);
                        note("keys", api->storage_keys(host_ctx, &s), s);
                        note("delete", api->storage_delete(host_ctx, S("c")), none);
                        note("delete-again", api->storage_delete(host_ctx, S("c")), none);
                        note("own-token", api->token(host_ctx, NULL, 0, &s), s);
                        note("global-token", api->token(host_ctx, S("deploy"), &s), s);
                        note("missing-token", api->token(host_ctx, S("nope"), &s), s);
                        note("reply-bad-options", api->reply(host_ctx, S("x"), S("[1]")), none);
                        api->log(host_ctx, INTEGRATION_LOG_WARNING, S("careful"));
                        api->log(host_ctx, 42, S("odd level"));
                        return api->reply(host_ctx, out, used, S("{\\"notify\\":true,\\"status\\":202,\\"headers\\":{\\"X-Test\\":\\"1\\"}}")) == 0 ? 0 : 500;
                        """), to: file)
            let (logger, logText) = try PluginFixtures.logger(in: directory)
            let storage = Storage()
            let plugin = try load(file)
            let tokens = try Tokens(parsing: ["deploy:global-secret", "123:apitest:room-secret"])
            let reply = try #require(
                try await plugin.run(
                    PluginFixtures.invocation(
                        "apitest", storage: storage, logger: logger, tokens: tokens, token: "room-secret")))
            #expect(
                reply.text.split(separator: " ") == [
                    "req=1", "set=0", #"get=0:{"x":[1,2]}(11,1)"#, "get-missing=-1", "set-bad=-2", "set-empty-key=-4",
                    "inc=0", "inc-value=25", "inc-mismatch=-3", "cas=0", "cas-again=-5", "cas-absent=0",
                    #"keys=0:["a","c","n"](13,1)"#, "delete=0", "delete-again=-1", "own-token=0:room-secret(11,1)",
                    "global-token=0:global-secret(13,1)", "missing-token=-1", "reply-bad-options=-2",
                ])
            #expect(reply.notify)
            #expect(reply.status == 202)
            #expect(reply.headers.map { "\($0.name): \($0.value)" } == ["X-Test: 1"])
            #expect(storage.namespace("apitest").get("a") == "y")
            #expect(storage.namespace("apitest").keys() == ["a", "n"])
            let log = logText()
            #expect(log.contains("warning request=req-1 integration=apitest careful\n"))
            #expect(log.contains("error request=req-1 integration=apitest odd level\n"))
        }

        @Test func requestDocumentCarriesTheInvocation() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("mirror.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(
                    name: "mirror", body: "return api->reply(host_ctx, request, request_len, NULL, 0) == 0 ? 0 : 500;"),
                to: file)
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let tokens = try Tokens(parsing: ["deploy:global-secret", "123:mirror:room-secret"])
            var invocation = try PluginFixtures.invocation(
                "mirror", storage: Storage(), logger: logger, tokens: tokens, token: "room-secret")
            invocation.routeParameters = ["env": "prod"]
            let reply = try #require(try await load(file).run(invocation))
            let request = try JSONValue(parsing: reply.text)
            #expect(request["abi_version"] == 1)
            #expect(request["integration"] == "mirror")
            #expect(request["request_id"] == "req-1")
            #expect(request["query"] == "testing me")
            #expect(request["token"] == "room-secret")
            #expect(
                request["all_tokens"]
                    == [
                        "global": ["deploy": "global-secret"],
                        "rooms": [["room": "123", "integration": "mirror", "value": "room-secret"]],
                    ])
            #expect(request["route_parameters"] == ["env": "prod"])
            #expect(request["method"] == "POST")
            #expect(request["path"] == "/hipchat")
            let notification = try #require(request["notification"])
            #expect(notification == invocation.notification.jsonValue)
            #expect(notification["platform"] == "hipchat")
            #expect(notification["text"] == "/echo testing me")
            #expect(notification["headers"] == ["content-type": "application/json"])
            #expect(
                notification["hipchat"]
                    == [
                        "sender_id": 123, "sender_name": "Example Name", "mention_name": "ExampleName", "room_id": 123,
                        "room_name": "TestRoom", "message": "/echo testing me",
                        "date": "2017-05-30T17:14:12.417069+00:00",
                    ])
        }

        @Test func requestNotificationMatchesJSONValueWithEveryField() throws {
            var headers = HTTPHeaders()
            headers.add("X-Repeated", "a")
            headers.add("Content-Type", "text/plain")
            headers.add("x-repeated", "b\"\n")
            let notification = Notification(
                platform: .slack, team: "T1", channel: .init(id: "C1"), sender: .init(id: "U1", name: "Ada"),
                text: "/deploy prod ünïcode", command: "deploy", responseURL: "https://hooks.example/1",
                timestamp: Date(timeIntervalSince1970: 1_700_000_000.25), event: "slash", headers: headers,
                rawBody: Array("text=%2Fdeploy+prod&bad=\u{FF}".utf8) + [0xFF],
                payload: [
                    "text": "/deploy prod", "numbers": [0, -3, 2.5, 1e300, -9_007_199_254_740_992, 123_456_789_012],
                    "nested": ["ok": true, "none": nil, "esc": "tab\t\u{1} \"q\" \\ \u{7F} é"],
                ])
            let storage = Storage()
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            var invocation = try PluginFixtures.invocation("deploy", storage: storage, logger: logger)
            invocation.notification = notification
            let encoded = PluginRequest.encode(invocation, integration: "deploy")
            #expect(encoded.bytes.count == encoded.count + 1 && encoded.bytes.last == 0)
            let request = try JSONValue(parsing: encoded.bytes.prefix(encoded.count))
            #expect(request["notification"] == notification.jsonValue)
        }

        @Test func failureStatusesAndMessages() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let busy = directory.appendingPathComponent("busy.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(name: "busy", body: #"api->error(host_ctx, "try later", 9); return 503;"#),
                to: busy)
            let odd = directory.appendingPathComponent("odd.so")
            try PluginFixtures.compileC(PluginFixtures.cPlugin(name: "odd", body: "return 7;"), to: odd)

            let busyError = try await #require(throws: IntegrationError.self) {
                try await load(busy).run(PluginFixtures.invocation("busy", storage: Storage(), logger: logger))
            }
            #expect(busyError.status == 503)
            #expect(busyError.message == "try later")
            let oddError = try await #require(throws: IntegrationError.self) {
                try await load(odd).run(PluginFixtures.invocation("odd", storage: Storage(), logger: logger))
            }
            #expect(oddError.status == 500)
            #expect(oddError.message == "plugin odd failed with status 7")
        }

        @Test func aStorageWritePastTheQuotaIsQuotaExceededForAPlugin() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let file = directory.appendingPathComponent("quota.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(
                    name: "quota", prelude: "#include <stdlib.h>",
                    body: #"""
                        int32_t first = api->storage_set(host_ctx, "a", 1, "1", 1);
                        int32_t second = api->storage_set(host_ctx, "b", 1, "2", 1);
                        char text[64]; snprintf(text, sizeof text, "%d %d %d", first, second, INTEGRATION_QUOTA_EXCEEDED);
                        return api->reply(host_ctx, text, strlen(text), NULL, 0) == INTEGRATION_OK ? 0 : 500;
                        """#),
                to: file)
            let plugin = try load(file)
            let storage = Storage(quota: StorageQuota(maxKeys: 1, maxBytes: 1 << 20))
            let reply = try await plugin.run(PluginFixtures.invocation("quota", storage: storage, logger: logger))
            #expect(reply?.text == "0 -6 -6")
            #expect(storage.namespace("quota").keys() == ["a"])
        }

        @Test func aStuckCallInProcessIsAnsweredAtTheDeadlineWhileTheHostKeepsServing() async throws {
            let host = try PluginTestHost(files: ["echo.json": #"{"actions": [{"reply": "{{query}}"}]}"#],
                deadline: .seconds(1), mode: .inProcess)
            defer { Task { await host.stop() } }
            let release = host.root.appendingPathComponent("release")
            // Says it is inside the call, then stays there until the test creates the release file.
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(
                    name: "slow",
                    body: #"""
                        api->storage_set(host_ctx, "started", 7, "true", 4);
                        while (access("\#(release.path)", F_OK) != 0) usleep(1000);
                        api->storage_set(host_ctx, "finished", 8, "true", 4);
                        return 0;
                        """#),
                to: host.integrations.appendingPathComponent("slow.so"))
            host.host.reload()
            let storage = host.host.dependencies.storage.namespace("slow")
            let stuck = try await host.hipchat("/slow")
            #expect(stuck.status == 504)
            #expect(storage.get("started") != nil)
            // The caller got its answer and the host keeps serving while the plugin's thread is still inside the call.
            #expect(storage.get("finished") == nil)
            #expect(try JSONValue(parsing: try await host.hipchat("/echo still here").body)["message"] == "still here")
            try Data().write(to: release)
            #expect(await eventually { storage.get("finished") != nil })
        }
    }
}
