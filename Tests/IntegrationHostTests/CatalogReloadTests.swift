import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Synchronization
import Testing
import TestSupport

/// Files added, changed, broken and removed while the host runs take effect without a restart.
@Suite struct CatalogReloadTests {
    func say(_ host: TestHost, _ message: String) async throws -> (Int, JSONValue) {
        let response = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: message))
        return (response.status, try JSONValue(parsing: response.body))
    }

    @Test func addChangeBreakRemove() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        #expect(try await say(host, "/late hi").0 == 404)
        // Misses rescan at most once per interval: let the interval of that one pass (a sleep is never shorter than
        // asked, so this cannot race).
        try await Task.sleep(for: Catalog.missRescanInterval)

        try host.write("late.scripted", #"{"reply": "v1 {query}"}"#)
        // Answered at once: a miss rescans the directory.
        let added = try await say(host, "/late hi")
        #expect(added.0 == 200)
        #expect(added.1["message"] == "v1 hi")

        // The directory watcher reloads a changed file.
        try host.write("late.scripted", #"{"reply": "v2 {query}"}"#)
        #expect(try await eventually { try await say(host, "/late hi").1["message"] == "v2 hi" })

        try host.write("late.scripted", "{broken")
        #expect(await eventually { host.log.contains("failed to load scripted late.scripted (keeping its last good version)") })
        #expect(try await say(host, "/late hi").1["message"] == "v2 hi")

        try FileManager.default.removeItem(at: host.integrations.appendingPathComponent("late.scripted"))
        #expect(try await eventually { try await say(host, "/late hi").0 == 404 })
    }

    /// How often `line` is in the host's log.
    func count(_ line: String, in host: TestHost) -> Int { host.log.components(separatedBy: line).count - 1 }

    /// Inotify: a replaced, edited, added or deleted file answers with its new version on the next request once the
    /// watcher has rescanned (its log line is the event waited for; the old one-second poll is gone).
    @Test func replacedEditedAddedAndDeletedFilesAnswerOnTheNextRequest() async throws {
        let host = try TestHost(files: ["live.scripted": #"{"reply": "v1 {query}"}"#])
        defer { Task { await host.stop() } }
        #expect(host.log.contains("watching \(host.integrations.path) with inotify"))
        #expect(try await say(host, "/live x").1["message"] == "v1 x")
        let file = host.integrations.appendingPathComponent("live.scripted")
        let reloaded = "reloaded scripted live.scripted"

        // Replaced by an atomic rename, as editors and deploy tools do.
        let temporary = host.integrations.appendingPathComponent(".live.scripted.tmp")
        try #"{"reply": "v2 {query}"}"#.write(to: temporary, atomically: false, encoding: .utf8)
        #expect(rename(temporary.path, file.path) == 0)
        #expect(await eventually { count(reloaded, in: host) == 1 })
        #expect(try await say(host, "/live x").1["message"] == "v2 x")

        // Edited in place: truncated and rewritten through one descriptor; read once it is closed.
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(#"{"reply": "v3 {query}"}"#.utf8))
        try handle.close()
        #expect(await eventually { count(reloaded, in: host) == 2 })
        #expect(try await say(host, "/live x").1["message"] == "v3 x")
        #expect(!host.log.contains("failed to load"))

        // Deleted and written again, as a linker replaces its output: reloaded, never removed in between.
        try FileManager.default.removeItem(at: file)
        try host.write("live.scripted", #"{"reply": "v4 {query}"}"#)
        #expect(await eventually { count(reloaded, in: host) == 3 })
        #expect(try await say(host, "/live x").1["message"] == "v4 x")
        #expect(!host.log.contains("removed live.scripted"))

        // Added: loaded before any request asks for it (no miss needed).
        try host.write("added.scripted", #"{"reply": "new {query}", "routes": ["/added"]}"#)
        #expect(await eventually { host.log.contains("loaded scripted added.scripted") })
        let added = try await host.request("POST", "/added", body: Array(#"{"text": "y"}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(String(decoding: added.body, as: UTF8.self) == "new y")

        // Deleted.
        try FileManager.default.removeItem(at: file)
        #expect(await eventually { host.log.contains("removed live.scripted") })
        #expect(try await say(host, "/live x").0 == 404)
    }

    /// No waiting at all: the first lookup after each rename or in-place write finds what was written (it catches
    /// up with events the kernel has queued, or waits for the watcher's rescan of them) — looked up in process,
    /// microseconds after the write, long before the watcher's thread alone could have rescanned.
    @Test func theFirstLookupAfterAWriteFindsIt() async throws {
        func manifest(_ version: Int) -> String { #"{"description": "v\#(version)", "actions": [{"reply": "v\#(version)"}]}"# }
        let host = try TestHost(files: ["live.json": manifest(0)])
        defer { Task { await host.stop() } }
        let catalog = host.host.dependencies.catalog
        let file = host.integrations.appendingPathComponent("live.json")
        let temporary = host.integrations.appendingPathComponent(".live.json.tmp")
        var found: [String] = []
        for version in 1...30 {
            if version % 2 == 0 {
                try manifest(version).write(to: temporary, atomically: false, encoding: .utf8)
                #expect(rename(temporary.path, file.path) == 0)
            } else {
                try Self.writeInPlace(manifest(version), to: file)
            }
            found.append(catalog.integration(forCommand: "live")?.summary ?? "")
        }
        #expect(found == (1...30).map { "v\($0)" })
        #expect(try await say(host, "/live").1["message"] == "v30")
    }

    /// Truncates and rewrites `file` in place from a child process, as an editor or a deploy tool does: the file is
    /// closed (and its `IN_CLOSE_WRITE` queued) by the time the child has exited. Written from this process, the
    /// close could come later: a process started at that moment by a test running alongside holds a copy of the
    /// descriptor until its `exec`, and the last close is what the kernel reports.
    static func writeInPlace(_ text: String, to file: URL) throws {
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", #"printf '%s' "$1" > "$2""#, "sh", text, file.path]
        try writer.run()
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
    }

    /// A file rewritten in place within one tick of the file system's clock keeps its size, inode and modification
    /// time; here the time is put back by hand to make that certain. The watcher saw it written and closed, so
    /// the new version is loaded all the same.
    @Test func anInPlaceRewriteThatKeepsTheStampIsStillReloaded() async throws {
        func manifest(_ version: Int) -> String { #"{"description": "v\#(version)", "actions": [{"reply": "v\#(version)"}]}"# }
        let host = try TestHost(files: ["same.json": manifest(1)])
        defer { Task { await host.stop() } }
        let catalog = host.host.dependencies.catalog
        let path = host.integrations.appendingPathComponent("same.json").path
        #expect(catalog.integration(forCommand: "same")?.summary == "v1")
        var before = stat()
        #expect(stat(path, &before) == 0)

        // The time is put back before the descriptor is closed, so the watcher never sees another stamp.
        let fd = open(path, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        let bytes = Array(manifest(2).utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        var times = [before.st_atim, before.st_mtim]
        #expect(futimens(fd, &times) == 0)
        #expect(close(fd) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_size == before.st_size && after.st_ino == before.st_ino
            && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        // Waited for, not asserted on the first lookup: a process another test starts at this moment holds a copy
        // of the descriptor until its exec, which delays the close the watcher is told of (see `writeInPlace`).
        // Without the fix it never comes: the stamp says nothing changed.
        #expect(await eventually { catalog.integration(forCommand: "same")?.summary == "v2" })

        // A file reported written whose stamp and bytes are what was loaded is not loaded again.
        let reloads = host.log.components(separatedBy: "reloaded manifest same.json").count - 1
        catalog.rescan(written: ["same.json"])
        #expect(host.log.components(separatedBy: "reloaded manifest same.json").count - 1 == reloads)
    }

    /// Where the directory cannot be watched (here: it was deleted), the watcher polls, and watches it again once
    /// it is back.
    @Test func aDirectoryThatCannotBeWatchedIsPolled() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ihwatch-\(UUID().uuidString)")
        let directory = root.appendingPathComponent("integrations")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let logFile = root.appendingPathComponent("watch.log").path
        let logger = try HostLogger(minimumLevel: .debug, logFile: logFile, echoToStderr: false)
        let changes = Mutex(0)
        let watcher = try DirectoryWatcher(directory: directory, logger: logger) { _ in changes.withLock { $0 += 1 } }
        let log = { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
        #expect(log().contains("watching \(directory.path) with inotify"))
        try "x".write(to: directory.appendingPathComponent("a.json"), atomically: false, encoding: .utf8)
        #expect(await eventually { changes.withLock { $0 } >= 1 })

        try FileManager.default.removeItem(at: directory)
        #expect(await eventually { log().contains("\(directory.path) was deleted or moved: polling it every second") })
        let polled = changes.withLock { $0 }
        #expect(await eventually { changes.withLock { $0 } > polled })
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(await eventually { log().contains("watching \(directory.path) with inotify again") })
        await watcher.stop()
    }

    @Test func duplicateNamesKeepTheFirstAndLogTheSecond() async throws {
        let host = try TestHost(files: [
            "a.scripted": #"{"name": "same", "reply": "from a"}"#,
            "b.scripted": #"{"name": "same", "reply": "from b"}"#,
        ])
        defer { Task { await host.stop() } }
        #expect(try await say(host, "/same").1["message"] == "from a")
        let duplicate = "b.scripted: duplicate integration name 'same' (already loaded from a.scripted)"
        #expect(host.log.contains(duplicate))
        // Every rescan sees the conflict; it is logged once, not on every scan.
        host.host.reload()
        host.host.reload()
        #expect(host.log.components(separatedBy: duplicate).count - 1 == 1)
    }

    @Test func routesAndGenericHooks() async throws {
        let host = try TestHost(files: ["dep.scripted": #"{"reply": "deploy {param} {query}", "routes": ["/deploy/<env>"]}"#])
        defer { Task { await host.stop() } }
        let routed = try await host.request("POST", "/deploy/prod", body: Array(#"{"text": "now"}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(routed.status == 200)
        #expect(String(decoding: routed.body, as: UTF8.self) == "deploy env=prod now")
        let hook = try await host.request("POST", "/hooks/dep", body: Array("text=x+y".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(String(decoding: hook.body, as: UTF8.self) == "deploy  x y")
        #expect(try await host.request("POST", "/hooks/missing").status == 404)
        #expect(try await host.request("DELETE", "/deploy/prod").status == 405)
    }

    /// A manifest with several problems is logged as one line per problem, `file: key.path: reason`, never as one
    /// line with escaped newlines.
    @Test func manifestProblemsAreLoggedOneALine() async throws {
        let host = try TestHost(files: [
            "broken.json": #"{"description": 5, "actions": [{"reply": 1}, {"nonsense": true}]}"#
        ])
        defer { Task { await host.stop() } }
        let lines = host.log.split(separator: "\n").filter { $0.contains("failed to load manifest broken.json") }
        #expect(lines.count >= 2, "\(lines)")
        #expect(lines.allSatisfy { !$0.contains(#"\n"#) })
        #expect(lines.contains { $0.hasSuffix("failed to load manifest broken.json: description: must be a string") })
        #expect(lines.contains { $0.contains("failed to load manifest broken.json: actions[0]") })
    }
}
