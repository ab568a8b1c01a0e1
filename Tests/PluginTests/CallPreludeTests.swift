import Foundation
import JSON
import Testing
import TestSupport

@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Plugins

extension PluginTests {
    /// The call prelude of isolated plugins: values read on earlier calls are sent ahead, and writes that fit the
    /// call's room are not waited for. Neither may change what a plugin sees: each call reads what the calls before
    /// it wrote, on any worker, and its own writes; the quota refuses as before; a write made before a crash stays.
    @Suite struct CallPreludeTests {
        /// Replies with the number at "n" (0 when absent) and stores it plus one: a read and a write per call.
        static let tally = PluginFixtures.cPlugin(
            name: "tally", prelude: "#include <stdlib.h>",
            body: #"""
                struct integration_string value = {0};
                double n = api->storage_get(host_ctx, "n", 1, &value) == INTEGRATION_OK ? atof(value.data) : 0;
                char next[32]; int length = snprintf(next, sizeof next, "%.0f", n + 1);
                if (api->storage_set(host_ctx, "n", 1, next, (size_t)length) != INTEGRATION_OK) return 500;
                if (strstr(request, "\"query\":\"crash\"")) { volatile int *p = 0; *p = 1; }
                char text[32]; length = snprintf(text, sizeof text, "%.0f", n);
                return api->reply(host_ctx, text, (size_t)length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """#)

        /// Takes the next number from "n" with a compare-and-set loop and replies with it: correct under any
        /// concurrency, as long as a read after a failed swap is fresh.
        static let ticket = PluginFixtures.cPlugin(
            name: "ticket", prelude: "#include <stdlib.h>",
            body: #"""
                for (int tries = 0; tries < 100000; tries++) {
                    struct integration_string value = {0};
                    int32_t found = api->storage_get(host_ctx, "n", 1, &value);
                    char expected[32] = ""; size_t expected_length = 0; double n = 0;
                    if (found == INTEGRATION_OK) {
                        expected_length = value.length < sizeof expected - 1 ? value.length : sizeof expected - 1;
                        memcpy(expected, value.data, expected_length);
                        n = atof(expected);
                    }
                    char next[32]; int length = snprintf(next, sizeof next, "%.0f", n + 1);
                    int32_t swapped = api->storage_compare_and_set(
                        host_ctx, "n", 1, found == INTEGRATION_OK ? expected : NULL, expected_length, next, (size_t)length);
                    if (swapped == INTEGRATION_OK) {
                        char text[32]; length = snprintf(text, sizeof text, "%.0f", n);
                        return api->reply(host_ctx, text, (size_t)length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                    }
                }
                return 500;
                """#)

        /// Stores the query at "x" as a JSON string, reads "x" back and replies with what it read.
        static let mirror = PluginFixtures.cPlugin(
            name: "mirror",
            body: #"""
                const char *start = strstr(request, "\"query\":\"");
                if (!start) return 400;
                start += 9;
                const char *end = strchr(start, '"');
                char json[128]; int length = snprintf(json, sizeof json, "\"%.*s\"", (int)(end - start), start);
                if (api->storage_set(host_ctx, "x", 1, json, (size_t)length) != INTEGRATION_OK) return 500;
                struct integration_string value = {0};
                if (api->storage_get(host_ctx, "x", 1, &value) != INTEGRATION_OK) return 500;
                return api->reply(host_ctx, value.data, value.length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """#)

        /// Stores a 40 KiB string under the key the query's first letter names and replies with storage_set's status
        /// ("quota" for INTEGRATION_QUOTA_EXCEEDED).
        static let filler = PluginFixtures.cPlugin(
            name: "filler", prelude: "#include <stdlib.h>",
            body: #"""
                static char json[40 * 1024 + 3];
                json[0] = '"'; memset(json + 1, 'v', 40 * 1024); json[40 * 1024 + 1] = '"';
                const char *start = strstr(request, "\"query\":\"");
                if (!start) return 400;
                int32_t status = api->storage_set(host_ctx, start + 9, 1, json, 40 * 1024 + 2);
                char text[16];
                int length = status == INTEGRATION_QUOTA_EXCEEDED ? snprintf(text, sizeof text, "quota")
                    : snprintf(text, sizeof text, "%d", status);
                return api->reply(host_ctx, text, (size_t)length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """#)

        /// Reads "a" when the query is `read`, and replies with what it found.
        static let sometimes = PluginFixtures.cPlugin(
            name: "sometimes",
            body: #"""
                struct integration_string value = {0};
                if (strstr(request, "\"query\":\"read\"") && api->storage_get(host_ctx, "a", 1, &value) == INTEGRATION_OK)
                    return api->reply(host_ctx, value.data, value.length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                return api->reply(host_ctx, "-", 1, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """#)

        /// One plugin compiled from `source`, loaded into isolated workers.
        final class Loaded: Sendable {
            let directory: URL
            let plugin: IsolatedPlugin
            let logger: HostLogger

            init(_ source: String, name: String, workers: Int = 2) throws {
                directory = try PluginFixtures.temporaryDirectory()
                (logger, _) = try PluginFixtures.logger(in: directory)
                let file = directory.appendingPathComponent("\(name).so")
                try PluginFixtures.compileC(source, to: file)
                var isolation = PluginIsolation()
                isolation.workerExecutable = PluginFixtures.workerExecutable.path
                isolation.workers = workers
                plugin = try #require(try IsolatedPluginLoader(isolation: isolation).load(file: file).first as? IsolatedPlugin)
            }

            func call(_ query: String, storage: Storage) async throws -> String? {
                let invocation = try PluginFixtures.invocation(
                    plugin.name, text: "/\(plugin.name) \(query)", query: query, storage: storage, logger: logger)
                return try await plugin.run(invocation)?.text
            }

            deinit { try? FileManager.default.removeItem(at: directory) }
        }

        @Test func eachCallReadsWhatTheCallsBeforeItWrote() async throws {
            let tally = try Loaded(Self.tally, name: "tally")
            let storage = Storage()
            // From the second call on, "n" comes with the call and its write is not waited for.
            for expected in 0..<40 {
                #expect(try await tally.call("go", storage: storage) == "\(expected)")
            }
            #expect(storage.namespace("tally").get("n") == .number(40))
        }

        @Test func concurrentCallsOnTwoWorkersTakeEveryNumberOnce() async throws {
            let ticket = try Loaded(Self.ticket, name: "ticket")
            let storage = Storage()
            let calls = 400
            let numbers = try await withThrowingTaskGroup(of: [Int].self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        var taken: [Int] = []
                        for _ in stride(from: lane, to: calls, by: 8) {
                            taken.append(Int(try #require(try await ticket.call("go", storage: storage))) ?? -1)
                        }
                        return taken
                    }
                }
                return try await group.reduce([], +)
            }
            #expect(numbers.sorted() == Array(0..<calls))
            #expect(storage.namespace("ticket").get("n") == .number(Double(calls)))
        }

        @Test func aCallReadsItsOwnWrites() async throws {
            let mirror = try Loaded(Self.mirror, name: "mirror")
            let storage = Storage()
            for query in ["first", "second", "third", "fourth"] {
                #expect(try await mirror.call(query, storage: storage) == "\"\(query)\"")
            }
        }

        @Test func writesNotWaitedForStayWithinTheQuota() async throws {
            let filler = try Loaded(Self.filler, name: "filler")
            let storage = Storage(quota: StorageQuota(maxKeys: 100, maxBytes: 100 << 10))
            // 100 KiB of room: the first write fits the call's room and is not waited for; the second is waited
            // for (less than the room is left) and fits; the third would pass the quota and is refused.
            #expect(try await filler.call("a", storage: storage) == "0")
            #expect(try await filler.call("b", storage: storage) == "0")
            #expect(try await filler.call("c", storage: storage) == "quota")
            #expect(storage.namespace("filler").keys() == ["a", "b"])
        }

        @Test func aWriteMadeBeforeACrashIsKept() async throws {
            let tally = try Loaded(Self.tally, name: "tally")
            let storage = Storage()
            #expect(try await tally.call("go", storage: storage) == "0")
            await #expect(throws: IntegrationError.self) { try await tally.call("crash", storage: storage) }
            #expect(storage.namespace("tally").get("n") == .number(2))
        }

        @Test func aKeyACallWasSentAndDidNotReadIsNoLongerSentAhead() async throws {
            let sometimes = try Loaded(Self.sometimes, name: "sometimes")
            let storage = Storage()
            try storage.namespace("sometimes").set("a", 7)
            let namespace = storage.namespace("sometimes")
            let prefetched = sometimes.plugin.supervisor.prefetched
            #expect(try await sometimes.call("read", storage: storage) == "7")
            #expect(prefetched.prelude(from: namespace).values["a"] == .some(.number(7)))
            // Sent ahead and read: still sent.
            #expect(try await sometimes.call("read", storage: storage) == "7")
            #expect(prefetched.prelude(from: namespace).values["a"] == .some(.number(7)))
            // Sent ahead and not read: dropped.
            #expect(try await sometimes.call("skip", storage: storage) == "-")
            #expect(prefetched.prelude(from: namespace).values.isEmpty)
        }

        @Test func theHostRefusesPostedWritesPastTheirRoomOrOtherThanSet() throws {
            let storage = Storage()
            let served = ServedStorage(
                storage: storage.namespace("p"), prefetched: PrefetchedKeys(), room: StorageRoom(keys: 1, bytes: 10))
            func serve(_ json: JSONValue) -> ServedStorage.Served { served.serve(json.serializedBytes()) }
            guard case .violation = serve(["op": "set", "key": "k", "value": "12345678901", "posted": true]) else {
                Issue.record("a posted set past the room's bytes was applied")
                return
            }
            guard case .violation = serve(["op": "delete", "key": "k", "posted": true]) else {
                Issue.record("a posted delete was applied")
                return
            }
            guard case .posted = serve(["op": "set", "key": "k", "value": 123456, "posted": true]) else {
                Issue.record("a posted set within the room was refused")
                return
            }
            #expect(storage.namespace("p").get("k") == .number(123456))
            guard case .violation = serve(["op": "set", "key": "j", "value": 1, "posted": true]) else {
                Issue.record("a posted set past the room's keys was applied")
                return
            }
            #expect(storage.namespace("p").keys() == ["k"])
        }

        @Test func thePreludeCarriesTheLatestKeysReadAndSmallValuesOnly() throws {
            let storage = Storage()
            let namespace = storage.namespace("p")
            try namespace.set("a", 1)
            try namespace.set("big", .string(String(repeating: "x", count: PrefetchedKeys.maxValueBytes)))
            let keys = PrefetchedKeys()
            for key in ["gone", "a", "big", "missing", "a", "later"] { keys.note(key) }
            let prelude = keys.prelude(from: namespace)
            // At most four keys, the oldest dropped; a value too large is left to be asked for.
            #expect(prelude.values.count == 3)
            #expect(prelude.values["a"] == .some(.number(1)))
            #expect(prelude.values["missing"] == .some(nil))
            #expect(prelude.values["later"] == .some(nil))
            #expect(prelude.values["gone"] == nil && prelude.values["big"] == nil)
            #expect(prelude.room == StorageRoom.standard)
            // The key whose value was too large is dropped: it is not weighed again on every call.
            try namespace.set("big", 1)
            #expect(keys.prelude(from: namespace).values["big"] == nil)
            #expect(CallPrelude(json: try JSONValue(parsing: prelude.jsonValue.serializedBytes())) == prelude)
            // A namespace near its quota grants no room.
            let full = Storage(quota: StorageQuota(maxKeys: 2, maxBytes: 1 << 20)).namespace("p")
            try full.set("a", 1)
            #expect(keys.prelude(from: full).room == .none)
        }
    }
}
