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
    .target(name: "HTTPServer", dependencies: ["JSON", "CHTTPLinux"]),
    .executableTarget(name: "hook-bench", dependencies: ["HTTPServer"]),
    .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "JSON"]),
]

// The host: config, catalog, dispatch, storage, platforms, manifests, plugin loader.
let hostTargets: [Target] = [
    .target(name: "IntegrationHost", dependencies: ["HTTPServer", "JSON", "Crypto"]),
    .executableTarget(name: "integration-host", dependencies: ["IntegrationHost"]),
    .testTarget(name: "IntegrationHostTests", dependencies: ["IntegrationHost", "HTTPServer", "JSON"]),
]

// Compiled plugins: the C ABI, the Swift SDK and the example plugins.
let pluginTargets: [Target] = [
]

// Declarative manifests.
let manifestTargets: [Target] = [
]

// Platforms: Slack, Mattermost, Teams, GitHub, GitLab, generic.
let platformTargets: [Target] = [
]

let package = Package(
    name: "integration-host",
    products: [
        .executable(name: "integration-host", targets: ["integration-host"]),
    ],
    targets: coreTargets + httpTargets + hostTargets + pluginTargets + manifestTargets + platformTargets
)
