// swift-tools-version:6.0
// integration-host: one binary hosting chat and webhook integrations. Toolchain only: no package dependencies.
//
// The targets follow a request's way through the house; every dependency points down this list, none back up
// (the map with its arrows: Sources/README.md).
import PackageDescription

/// The host's modules have no actors: their async functions run where their caller runs (the server's handler
/// threads), so an `await` need not go through the executor switch (/hook in process: 4.6 → 4.3 µs).
let callerIsolated: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

// Foundations: value types with no I/O, the one clock (`Scheduling`), the C shims that fence in the OS
// (`CProcessSpawning` starts an exec program in user and PID namespaces of its own), and the sandbox a plugin worker
// confines itself with (`Sandbox` over `CSandbox`).
let foundationTargets: [Target] = [
    .target(name: "JSON"),
    .target(name: "Crypto"),
    .target(name: "HTTPTypes"),
    .target(name: "Logging"),
    .target(name: "Scheduling"),
    .target(name: "CProcessSpawning"),
    .target(name: "ProcessSpawning", dependencies: ["CProcessSpawning"]),
    .target(name: "CHTTPLinux"),
    .target(name: "CIntegrationABI"),
    .target(name: "CSandbox"),
    .target(name: "CCurl"),
    .target(name: "Sandbox", dependencies: ["CSandbox"], exclude: ["README.md"]),
]

// The HTTP/1.1 server: sockets, event loops, parser, handler threads.
let serverTargets: [Target] = [
    .target(
        name: "HTTPServer", dependencies: ["HTTPTypes", "JSON", "Scheduling", "CHTTPLinux"], exclude: ["README.md"]),
    .executableTarget(name: "hook-bench", dependencies: ["HTTPServer"]),
]

// Outbound HTTP: one client for every request the host makes (libcurl through `CCurl`, on the host's clock).
let clientTargets: [Target] = [
    .target(name: "HTTPClient", dependencies: ["Scheduling", "CCurl"], exclude: ["README.md"]),
]

// What an integration is and gets — shared by the host and the plugin SDK — and the two kinds of integration.
let integrationTargets: [Target] = [
    .target(name: "IntegrationContract", dependencies: ["JSON", "HTTPTypes", "Logging"], swiftSettings: callerIsolated),
    .target(
        name: "Manifests",
        dependencies: [
            "IntegrationContract", "HTTPClient", "JSON", "Crypto", "Logging", "Scheduling", "ProcessSpawning",
        ],
        swiftSettings: callerIsolated),
    .target(
        name: "Plugins",
        dependencies: [
            "IntegrationContract", "JSON", "Logging", "Scheduling", "ProcessSpawning", "Sandbox", "CIntegrationABI",
        ],
        swiftSettings: callerIsolated),
    .target(name: "IntegrationKit", dependencies: ["IntegrationContract", "CIntegrationABI", "JSON"]),
]

// The platforms (verify, decode, render, deliver), the host's core (catalog, dispatch, storage) and the app that
// joins them to HTTP: routes, the command line, the process.
let hostTargets: [Target] = [
    .target(
        name: "Platforms",
        dependencies: ["IntegrationContract", "HTTPServer", "HTTPClient", "JSON", "Crypto", "Logging", "Scheduling"],
        exclude: ["README.md"], swiftSettings: callerIsolated),
    .target(
        name: "HostCore", dependencies: ["IntegrationContract", "JSON", "Logging", "Scheduling"],
        swiftSettings: callerIsolated),
    .target(
        name: "HostApp",
        dependencies: ["HostCore", "Platforms", "Manifests", "Plugins", "IntegrationContract", "HTTPServer", "HTTPClient", "JSON",
            "Crypto", "Logging", "Scheduling", "Sandbox"],
        swiftSettings: callerIsolated),
    .executableTarget(name: "integration-host", dependencies: ["HostApp", "Plugins"]),
]

// The example plugins (see example/README.md).
let exampleTargets: [Target] = [
    .target(name: "ParrotPlugin", dependencies: ["IntegrationKit"], path: "example/ParrotPlugin"),
    .target(name: "NotesPlugin", dependencies: ["IntegrationKit"], path: "example/NotesPlugin"),
    .target(name: "EchoPlugin", dependencies: ["IntegrationKit"], path: "example/bench/EchoPlugin"),
    .target(
        name: "CounterPlugin", dependencies: ["CIntegrationABI"], path: "example/CounterPlugin", publicHeadersPath: "."),
]

/// Everything the host is made of, for tests and benchmarks that start one.
let wholeHost: [Target.Dependency] = [
    "HostApp", "HostCore", "Platforms", "Manifests", "Plugins", "IntegrationContract", "HTTPServer", "HTTPClient",
    "JSON", "Logging", "Scheduling", "ProcessSpawning",
]

let testTargets: [Target] = [
    .target(name: "TestSupport", dependencies: ["ProcessSpawning"], path: "Tests/TestSupport"),
    .testTarget(name: "JSONTests", dependencies: ["JSON"]),
    .testTarget(name: "CryptoTests", dependencies: ["Crypto", "JSON"]),
    .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "TestSupport"]),
    .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "JSON", "TestSupport"]),
    .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "Scheduling", "TestSupport"]),
    .testTarget(name: "IntegrationHostTests", dependencies: wholeHost + ["Crypto", "TestSupport"]),
    .testTarget(name: "ManifestTests", dependencies: wholeHost + ["Crypto", "TestSupport"]),
    .testTarget(name: "PluginTests", dependencies: wholeHost + ["Sandbox", "TestSupport"]),
    .testTarget(name: "PlatformTests", dependencies: wholeHost + ["Crypto", "TestSupport"]),
    .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "TestSupport"]),
    .testTarget(name: "IntegrationKitTests", dependencies: ["IntegrationKit", "JSON"]),
    .executableTarget(name: "sandbox-probe", dependencies: ["Sandbox", "CSandbox"], path: "Tests/SandboxProbe"),
    .executableTarget(name: "host-path-benchmark", dependencies: wholeHost, path: "Tests/HostPathBenchmark"),
    .executableTarget(name: "plugin-call-benchmark", dependencies: wholeHost, path: "Tests/PluginCallBenchmark"),
]

// The SDK for plugin packages, and the example plugins as shared libraries:
// `swift build -c release --product ParrotPlugin` → .build/release/libParrotPlugin.so.
let pluginProducts: [Product] = [
    .library(name: "IntegrationKit", targets: ["IntegrationKit"]),
    .library(name: "ParrotPlugin", type: .dynamic, targets: ["ParrotPlugin"]),
    .library(name: "NotesPlugin", type: .dynamic, targets: ["NotesPlugin"]),
    .library(name: "EchoPlugin", type: .dynamic, targets: ["EchoPlugin"]),
    .library(name: "CounterPlugin", type: .dynamic, targets: ["CounterPlugin"]),
]

let package = Package(
    name: "integration-host",
    products: [
        .executable(name: "integration-host", targets: ["integration-host"]),
    ] + pluginProducts,
    targets: foundationTargets + serverTargets + clientTargets + integrationTargets + hostTargets + exampleTargets + testTargets
)
