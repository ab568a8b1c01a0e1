import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

/// Which manifests the dispatcher may run without a deadline timer: those whose runs only compute.
@Suite struct RunTimeBoundTests {
    @Test func computingManifestsAreBoundedByTheirRegexes() throws {
        let echo = try Fixtures.manifest(#"{"actions": [{"reply": "{{query}}"}, {"store": {"key": "n", "op": "increment"}}]}"#)
        #expect(echo.runTimeBound == .milliseconds(100))
        let regexes = try Fixtures.manifest(#"""
            {"regex_timeout_ms": 50,
             "rules": [{"any": [{"regex": {"value": "{{query}}", "pattern": "^a"}}, {"not": {"regex": {"value": "{{query}}", "pattern": "b"}}}]}],
             "actions": [{"if": {"regex": {"value": "{{query}}", "pattern": "c"}}, "reply": "c"}]}
            """#)
        #expect(regexes.runTimeBound == .milliseconds(3 * 50 + 100))
        let detached = try Fixtures.manifest(#"{"actions": [{"exec": {"argv": ["/bin/true"], "wait": false}}]}"#)
        #expect(detached.runTimeBound == .milliseconds(100))
    }

    @Test func waitingStepsHaveNoBound() throws {
        let exec = try Fixtures.manifest(#"{"actions": [{"exec": {"argv": ["/bin/true"]}}, {"reply": "done"}]}"#)
        #expect(exec.runTimeBound == nil)
        let http = try Fixtures.manifest(#"{"actions": [{"http": {"url": "http://127.0.0.1:9/x"}}]}"#)
        #expect(http.runTimeBound == nil)
    }
}
