// swift-tools-version:6.0
// integration-host: one binary hosting chat and webhook integrations. Toolchain only: no package dependencies.
import PackageDescription

// Core value types shared by the host and the plugin SDK.
let coreTargets: [Target] = [
    .target(name: "JSON"),
    .target(name: "Crypto"),
    .testTarget(name: "JSONTests", dependencies: ["JSON"]),
    .testTarget(name: "CryptoTests", dependencies: ["Crypto", "JSON"]),
]

// The HTTP/1.1 server (issue: HTTPServer).
let httpTargets: [Target] = [
    .target(name: "CHTTPLinux"),
    .target(name: "HTTPServer", dependencies: ["JSON", "CHTTPLinux"], exclude: ["README.md"]),
    .executableTarget(name: "hook-bench", dependencies: ["HTTPServer"]),
    .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "JSON"]),
]

// The host: config, catalog, dispatch, storage, platforms, manifests, plugin loader.
let hostTargets: [Target] = [
    .target(
        name: "IntegrationHost", dependencies: ["HTTPServer", "JSON", "Crypto", "CIntegrationABI"],
        exclude: ["Platforms/README.md"],
        // The host has no actors: its async functions run where their caller runs (the server's handler threads),
        // so an `await` need not go through the executor switch (/hook in process: 4.6 → 4.3 µs).
        swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
    .executableTarget(name: "integration-host", dependencies: ["IntegrationHost"]),
    .executableTarget(
        name: "host-path-benchmark", dependencies: ["IntegrationHost", "HTTPServer", "JSON"],
        path: "Tests/HostPathBenchmark"),
    .testTarget(name: "IntegrationHostTests", dependencies: ["IntegrationHost", "HTTPServer", "JSON"]),
]

// Compiled plugins: the C ABI, the Swift SDK, the example plugins (see example/README.md) and the call benchmark.
let pluginTargets: [Target] = [
    .target(name: "CIntegrationABI"),
    .target(name: "IntegrationKit", dependencies: ["CIntegrationABI", "JSON"]),
    .target(name: "ParrotPlugin", dependencies: ["IntegrationKit"], path: "example/ParrotPlugin"),
    .target(name: "NotesPlugin", dependencies: ["IntegrationKit"], path: "example/NotesPlugin"),
    .target(
        name: "CounterPlugin", dependencies: ["CIntegrationABI"], path: "example/CounterPlugin", publicHeadersPath: "."),
    .executableTarget(
        name: "plugin-call-benchmark", dependencies: ["IntegrationHost", "HTTPServer", "JSON"],
        path: "Tests/PluginCallBenchmark"),
    .testTarget(name: "PluginTests", dependencies: ["IntegrationHost", "HTTPServer", "JSON"]),
]

// The SDK for plugin packages, and the example plugins as shared libraries:
// `swift build -c release --product ParrotPlugin` → .build/release/libParrotPlugin.so.
let pluginProducts: [Product] = [
    .library(name: "IntegrationKit", targets: ["IntegrationKit"]),
    .library(name: "ParrotPlugin", type: .dynamic, targets: ["ParrotPlugin"]),
    .library(name: "NotesPlugin", type: .dynamic, targets: ["NotesPlugin"]),
    .library(name: "CounterPlugin", type: .dynamic, targets: ["CounterPlugin"]),
]

// Declarative manifests.
let manifestTargets: [Target] = [
    .testTarget(name: "ManifestTests", dependencies: ["IntegrationHost", "HTTPServer", "JSON", "Crypto"]),
]

// Platforms: Slack, Mattermost, Teams, GitHub, GitLab, generic.
let platformTargets: [Target] = [
    .testTarget(name: "PlatformTests", dependencies: ["IntegrationHost", "HTTPServer", "JSON", "Crypto"]),
]

let package = Package(
    name: "integration-host",
    products: [
        .executable(name: "integration-host", targets: ["integration-host"]),
    ] + pluginProducts,
    targets: coreTargets + httpTargets + hostTargets + pluginTargets + manifestTargets + platformTargets
)
