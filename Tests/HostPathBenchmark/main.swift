// Measures the host's request path in process, without sockets: HostRouter.handle for the peer benchmark's two
// manifest jobs (POST /hook with a template reply, and the shipped echo.json on /hipchat), the parrot plugin in
// process on /hipchat when libParrotPlugin.so was built beside it, and the parts they are made of. Build and run in release:
//
//     swift build -c release && .build/release/host-path-benchmark [payload.json [PATH ...]]
//
// Times are per request, the best of 5 runs: wall time and the whole process's CPU time. Everything runs on one
// thread, a task executor standing in for the server's handler threads (what `HandlerExecutor.current` is there).
// Then each path runs on two such threads at once, as on the server's two handler threads: CPU per request rises
// when the threads write the same cache lines (reference counts of shared objects, locks).
import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Synchronization

/// Runs every job on one thread of its own, in order.
final class OneThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            while true {
                ready.wait()
                guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        ready.signal()
    }
}

let body = Array(try String(contentsOfFile: CommandLine.arguments.count > 1 ? CommandLine.arguments[1]
    : "../shared/bench/payload.json", encoding: .utf8).utf8)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("host-path-benchmark-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
try #"{"commands": [], "routes": ["/hook"], "actions": [{"reply": {"json": {"message": "ok", "query": "{{query}}"}}}]}"#
    .write(to: directory.appendingPathComponent("bench-echo.json"), atomically: true, encoding: .utf8)
try #"{"actions": [{"reply": "{{query}}"}]}"#
    .write(to: directory.appendingPathComponent("echo.json"), atomically: true, encoding: .utf8)

let configuration = HostConfiguration(port: 0, integrationsPath: directory, logLevel: .warning)
let dependencies = try HostDependencies(configuration: configuration, logger: HostLogger(minimumLevel: .warning))
dependencies.catalog.rescan()
let app = HostRouter(dependencies: dependencies)

/// The Swift example plugin in process (the trusted mode), when it was built beside this executable: on `/hipchat`
/// it answers the same `/echo testing me`, through the plugin path.
let pluginApp: HostRouter? = try {
    let built = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("libParrotPlugin.so")
    guard FileManager.default.fileExists(atPath: built.path) else { return nil }
    let pluginDirectory = directory.appendingPathComponent("plugin")
    try FileManager.default.createDirectory(at: pluginDirectory, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: built, to: pluginDirectory.appendingPathComponent("libParrotPlugin.so"))
    let configuration = HostConfiguration(
        port: 0, integrationsPath: pluginDirectory, plugins: PluginSettings(mode: .inProcess), logLevel: .warning)
    let dependencies = try HostDependencies(configuration: configuration, logger: HostLogger(minimumLevel: .warning))
    dependencies.catalog.rescan()
    return HostRouter(dependencies: dependencies)
}()

func request(_ path: String) -> HTTPRequest {
    let headers: HTTPHeaders = [
        "Host": "127.0.0.1:18090", "Content-Type": "application/json", "Content-Length": "\(body.count)",
    ]
    return HTTPRequest(
        head: HTTPRequestHead(method: .post, target: path, path: path, rawQuery: "", version: .http1_1, headers: headers),
        body: body, peer: PeerAddress(bytes: [127, 0, 0, 1], port: 40000))
}

func now(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}

func report(_ label: String, wall: Double, cpu: Double) {
    print(label.padding(toLength: 48, withPad: " ", startingAt: 0),
        String(format: "%7.2f µs wall %7.2f µs CPU", wall / 1000, cpu / 1000))
}

func measure(_ label: String, iterations: Int, _ body: () async throws -> Void) async rethrows {
    for _ in 0..<iterations / 10 { try await body() }
    var bestWall = Double.infinity
    var bestCPU = Double.infinity
    for _ in 0..<5 {
        let wall = now(CLOCK_MONOTONIC)
        let cpu = now(CLOCK_PROCESS_CPUTIME_ID)
        for _ in 0..<iterations { try await body() }
        bestWall = min(bestWall, now(CLOCK_MONOTONIC) - wall)
        bestCPU = min(bestCPU, now(CLOCK_PROCESS_CPUTIME_ID) - cpu)
    }
    report(label, wall: bestWall / Double(iterations), cpu: bestCPU / Double(iterations))
}

let executor = OneThreadExecutor()
let second = OneThreadExecutor()
try await Task(executorPreference: executor) {
    try await HandlerExecutor.$current.withValue(executor) { try await benchmark() }
}.value

func benchmark() async throws {
print("best of 5 runs; \(body.count)-byte request body")
let paths = CommandLine.arguments.count > 2 ? Array(CommandLine.arguments.dropFirst(2)) : ["/hook", "/hipchat"]
for path in paths {
    let sample = request(path)
    let expected = try await app.handle(sample)
    print("\(path) -> \(expected.status.code) \(String(decoding: expected.body, as: UTF8.self))")
    precondition(expected.status.code == 200)
    try await measure("HostRouter.handle \(path)", iterations: 50_000) {
        _ = try await app.handle(sample)
    }
}
if let pluginApp {
    let sample = request("/hipchat")
    let expected = try await pluginApp.handle(sample)
    print("/hipchat (parrot in process) -> \(expected.status.code) \(String(decoding: expected.body, as: UTF8.self))")
    precondition(expected.status.code == 200)
    try await measure("HostRouter.handle /hipchat, parrot in process", iterations: 50_000) {
        _ = try await pluginApp.handle(sample)
    }
}
try await measure("JSON parse of the body alone", iterations: 50_000) {
    _ = try JSONValue(parsing: body)
}
for path in paths {
    try await measureOnTwoThreads("HostRouter.handle \(path), 2 threads at once", iterations: 100_000) {
        let sample = request(path)
        return { _ = try await app.handle(sample) }
    }
}
if let pluginApp {
    try await measureOnTwoThreads("HostRouter.handle /hipchat, parrot, 2 threads", iterations: 50_000) {
        let sample = request("/hipchat")
        return { _ = try await pluginApp.handle(sample) }
    }
}
}

/// Runs `iterations` of the body `make` returns on each of two executor threads at once, 3 times; prints the best
/// CPU per request and the combined requests per second.
func measureOnTwoThreads(
    _ label: String, iterations: Int, _ make: @escaping @Sendable () -> @Sendable () async throws -> Void
) async throws {
    let executors = [executor, second]
    var bestCPU = Double.infinity
    var bestRate = 0.0
    for _ in 0..<3 {
        let wall = now(CLOCK_MONOTONIC)
        let cpu = now(CLOCK_PROCESS_CPUTIME_ID)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for threadExecutor in executors {
                group.addTask(executorPreference: threadExecutor) {
                    try await HandlerExecutor.$current.withValue(threadExecutor) {
                        let body = make()
                        for _ in 0..<iterations { try await body() }
                    }
                }
            }
            try await group.waitForAll()
        }
        let requests = Double(iterations * executors.count)
        bestCPU = min(bestCPU, (now(CLOCK_PROCESS_CPUTIME_ID) - cpu) / requests)
        bestRate = max(bestRate, requests / (now(CLOCK_MONOTONIC) - wall) * 1e9)
    }
    print(label.padding(toLength: 48, withPad: " ", startingAt: 0),
        String(format: "%7.2f µs CPU  %9.0f req/s", bestCPU / 1000, bestRate))
}
