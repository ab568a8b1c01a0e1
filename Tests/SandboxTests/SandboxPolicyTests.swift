import Foundation
import Sandbox
import Testing

/// The plugin worker's policy: what it names, and how a grant widens it.
@Suite struct SandboxPolicyTests {
    @Test func thePluginWorkerReadsLibrariesTheSwiftRuntimeAndItsPlugin() throws {
        let policy = SandboxPolicy.pluginWorker(pluginPath: "/srv/plugins/libparrot.so")
        #expect(policy.readable.contains("/usr/lib"))
        #expect(policy.readable.contains("/etc/ld.so.cache"))
        #expect(policy.readable.last == "/srv/plugins/libparrot.so")
        #expect(policy.readable.dropLast().allSatisfy { FileManager.default.fileExists(atPath: $0) })
        // The test binary runs on the shared Swift runtime: its directory is in the policy.
        let runtime = try #require(
            policy.readable.first { FileManager.default.fileExists(atPath: $0 + "/libswiftCore.so") })
        #expect(runtime.hasPrefix("/"))
        #expect(policy.writable.isEmpty)
        #expect(!policy.network)
        #expect(policy.memoryLimit == nil && policy.cpuLimit == nil)
    }

    @Test func aGrantAddsItsPathsAndNetwork() throws {
        let base = SandboxPolicy(readable: ["/usr/lib"], memoryLimit: 1 << 26)
        let granted = base.granting(try PluginGrant(parsing: "p=read:/etc/ssl,write:/var/lib/p,network"))
        #expect(
            granted
                == SandboxPolicy(
                    readable: ["/usr/lib", "/etc/ssl"], writable: ["/var/lib/p"], network: true, memoryLimit: 1 << 26))
        #expect(base.granting(PluginGrant(plugin: "p")) == base)
    }
}
