// Measures one in-process plugin call: encoding the request JSON, the C call, the host API calls the plugin
// makes, and collecting the reply. Build and run in release:
//
//     swift build -c release
//     .build/release/plugin-call-benchmark [plugin.so ...]
//
// Without arguments it measures the example plugins built next to the executable.
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

// `--profile NAME` only calls plugin NAME on this thread, over and over for 5 s: for `perf record`.
var arguments = Array(CommandLine.arguments.dropFirst())
var profiled: String?
if let flag = arguments.firstIndex(of: "--profile"), flag + 1 < arguments.count {
    profiled = arguments[flag + 1]
    arguments.removeSubrange(flag...(flag + 1))
}
let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
let files =
    !arguments.isEmpty
    ? arguments.map { URL(fileURLWithPath: $0) }
    : ["libCounterPlugin.so", "libParrotPlugin.so"].map { buildDirectory.appendingPathComponent($0) }

let body = Array(
    #"{"event":"room_message","item":{"message":{"date":"2017-05-30T17:14:12.417069+00:00","from":{"id":123,"links":{"self":"https://api.hipchat.com/v2/user/123"},"mention_name":"ExampleName","name":"Example Name","version":"4IA56R7S"},"id":"00000000-0000-0000-0000-000000000000","mentions":[],"message":"/echo testing me","type":"message"},"room":{"id":123,"is_archived":false,"links":{"self":"https://api.hipchat.com/v2/room/123"},"name":"TestRoom","privacy":"public","version":"DZFEFH1G"}},"oauth_client_id":"00000000-0000-0000-0000-000000000000","webhook_id":123}"#
        .utf8)
let payload = try JSONValue(parsing: body)
let headers: HTTPHeaders = ["Host": "127.0.0.1:18090", "Content-Type": "application/json", "Content-Length": "561"]
// As the /hipchat route has it: the payload is the body's JSON document.
let notification = try {
    var notification = Notification(
        platform: .hipchat, channel: .init(id: "123", name: "TestRoom"),
        sender: .init(id: "123", name: "Example Name", handle: "ExampleName"), text: "/echo testing me",
        command: "echo", event: "room_message", headers: headers, hipchat: try HipChatMessage(json: payload))
    try notification.setJSONBody(body)
    return notification
}()
let head = HTTPRequestHead(
    method: .post, target: "/hipchat", path: "/hipchat", rawQuery: "", version: .http1_1, headers: headers)
let logger = try HostLogger(minimumLevel: .warning)
let storage = Storage()
let tokens = try Tokens(parsing: ["send_message:2YotnFZFEjr1zCsicMWpAA", "123:echo:2YotnFZFEjr1zCsicMWpAA"])

func invocation(for name: String) -> Invocation {
    Invocation(
        notification: notification, query: "testing me", allTokens: tokens, token: "2YotnFZFEjr1zCsicMWpAA",
        storage: storage.namespace(name), log: IntegrationLogger(integration: name, requestID: "bench", host: logger),
        requestID: "bench",
        request: InvocationRequest(HTTPRequest(head: head, body: body, peer: PeerAddress(bytes: [127, 0, 0, 1], port: 1))))
}

/// Wall time and this thread's CPU time per call, each the best of 5 runs: on a shared machine the CPU time leaves
/// out the time the thread waited for a core.
func measure(_ label: String, iterations: Int, _ body: () throws -> Void) rethrows {
    for _ in 0..<iterations / 10 { try body() }
    var bestWall = Double.infinity
    var bestCPU = Double.infinity
    for _ in 0..<5 {
        let wall = now(CLOCK_MONOTONIC)
        let cpu = now(CLOCK_THREAD_CPUTIME_ID)
        for _ in 0..<iterations { try body() }
        bestWall = min(bestWall, now(CLOCK_MONOTONIC) - wall)
        bestCPU = min(bestCPU, now(CLOCK_THREAD_CPUTIME_ID) - cpu)
    }
    report(label, wall: bestWall / Double(iterations), cpu: bestCPU / Double(iterations))
}

func now(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}

func report(_ label: String, wall: Double, cpu: Double?) {
    let cpuText = cpu.map { String(format: "%7.2f µs CPU", $0 / 1000) } ?? ""
    print(
        label.padding(toLength: 56, withPad: " ", startingAt: 0), String(format: "%7.2f µs wall", wall / 1000), cpuText)
}

let loader = PluginLoader()
if let profiled {
    for file in files {
        guard let plugin = try loader.load(file: file).first as? PluginIntegration, plugin.name == profiled else { continue }
        let call = invocation(for: plugin.name)
        let end = now(CLOCK_MONOTONIC) + 5e9
        var calls = 0
        while now(CLOCK_MONOTONIC) < end {
            for _ in 0..<1000 { _ = plugin.callOnCurrentThread(call) }
            calls += 1000
        }
        print("\(profiled): \(calls) calls")
    }
    exit(0)
}
print("best of 5 runs; request document for the bench's 561-byte HipChat room_message")
let sample = invocation(for: "echo")
measure("encode the request document alone", iterations: 100_000) {
    precondition(PluginRequest.encode(sample, integration: "echo").count > 1000)
}
var reserialized = sample
reserialized.notification.payload = sample.notification.payload
measure("... with the payload serialized again (not a JSON body)", iterations: 100_000) {
    precondition(PluginRequest.encode(reserialized, integration: "echo").count > 1000)
}
let document = PluginRequest.encode(sample, integration: "echo")
measure("parse the request document (what the Swift SDK does)", iterations: 20_000) {
    precondition((try? JSONValue(parsing: document.bytes.prefix(document.count))) != nil)
}
var bare = sample
bare.notification.payload = .null
measure("encode without payload", iterations: 100_000) {
    precondition(PluginRequest.encode(bare, integration: "echo").count > 100)
}
bare.notification.rawBody = []
measure("encode without payload and raw body", iterations: 100_000) {
    precondition(PluginRequest.encode(bare, integration: "echo").count > 100)
}
bare.notification.headers = HTTPHeaders()
measure("encode without payload, raw body, headers", iterations: 100_000) {
    precondition(PluginRequest.encode(bare, integration: "echo").count > 100)
}
bare.allTokens = Tokens()
measure("... and tokens", iterations: 100_000) {
    precondition(PluginRequest.encode(bare, integration: "echo").count > 100)
}
measure("payload.serializedBytes() alone", iterations: 100_000) {
    precondition(payload.serializedBytes().count > 500)
}
try measure("storage increment alone", iterations: 100_000) {
    _ = try storage.namespace("x").increment("count")
}
for file in files {
    guard let plugin = try loader.load(file: file).first as? PluginIntegration else { continue }
    let call = invocation(for: plugin.name)
    measure("\(plugin.name): call on this thread (encode+handle+reply)", iterations: 100_000) {
        if case .failure(let error) = plugin.callOnCurrentThread(call) { fatalError("\(error)") }
    }
    let iterations = 20_000
    let start = now(CLOCK_MONOTONIC)
    for _ in 0..<iterations { _ = try await plugin.run(call) }
    report(
        "\(plugin.name): run(), one at a time",
        wall: (now(CLOCK_MONOTONIC) - start) / Double(iterations), cpu: nil)
}
