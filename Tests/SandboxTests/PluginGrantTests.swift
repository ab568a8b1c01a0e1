import Sandbox
import Testing

/// `--plugin-grant` values: the forms an admin writes, and an error naming the problem for each malformed one.
@Suite struct PluginGrantTests {
    @Test func parsesNetworkReadAndWriteItems() throws {
        #expect(try PluginGrant(parsing: "parrot=network") == PluginGrant(plugin: "parrot", network: true))
        #expect(
            try PluginGrant(parsing: "my_plugin-2=read:/etc/ssl,write:/var/lib/x,read:/usr/share/zoneinfo")
                == PluginGrant(
                    plugin: "my_plugin-2", read: ["/etc/ssl", "/usr/share/zoneinfo"], write: ["/var/lib/x"]))
        #expect(
            try PluginGrant(parsing: "n=write:/srv/a=b:c,network")
                == PluginGrant(plugin: "n", network: true, write: ["/srv/a=b:c"]))
        #expect(try PluginGrant(parsing: String(repeating: "a", count: 64) + "=network").plugin.count == 64)
    }

    @Test(arguments: [
        ("parrot", PluginGrantError.Problem.noEquals),
        ("=network", .emptyName),
        (String(repeating: "a", count: 65) + "=network", .nameTooLong),
        ("par rot=network", .invalidNameCharacter(" ")),
        ("parröt=network", .invalidNameCharacter("ö")),
        ("parrot=", .noItems),
        ("parrot=network,", .emptyItem),
        ("parrot=read:/a,,write:/b", .emptyItem),
        ("parrot=internet", .unknownItem("internet")),
        ("parrot=exec:/bin", .unknownItem("exec:/bin")),
        ("parrot=network:yes", .unknownItem("network:yes")),
        ("parrot=read:", .missingPath("read:")),
        ("parrot=write:var/lib/x", .relativePath("write:var/lib/x")),
    ])
    func refusesMalformedGrants(argument: String, problem: PluginGrantError.Problem) {
        #expect(throws: PluginGrantError(argument: argument, problem: problem)) {
            try PluginGrant(parsing: argument)
        }
    }

    @Test func errorsNameTheArgumentAndWhatIsWrong() {
        let error = PluginGrantError(argument: "parrot=write:var/lib/x", problem: .relativePath("write:var/lib/x"))
        #expect(
            error.description
                == "--plugin-grant parrot=write:var/lib/x: the path in 'write:var/lib/x' is not absolute")
        let unknown = PluginGrantError(argument: "p=internet", problem: .unknownItem("internet"))
        #expect(
            unknown.description
                == "--plugin-grant p=internet: unknown item 'internet'; items are network, read:PATH and write:PATH")
    }
}
