import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Testing

/// A JSON body is copied into the plugin request as it is; the document must read the same as the serialized one.
@Suite struct NotificationBodyTests {
    func invocation(_ notification: Notification) throws -> Invocation {
        let head = HTTPRequestHead(method: .post, target: "/hipchat", path: "/hipchat", rawQuery: "", version: .http1_1, headers: [:])
        return Invocation(
            notification: notification, query: "q", allTokens: Tokens(), token: nil,
            storage: Storage().namespace("echo"),
            log: IntegrationLogger(integration: "echo", requestID: "r", host: try HostLogger(echoToStderr: false)),
            requestID: "r", request: InvocationRequest(HTTPRequest(head: head, body: notification.rawBody, peer: PeerAddress(bytes: [127, 0, 0, 1], port: 1))))
    }

    @Test func copiedBodyReadsAsTheSerializedPayload() throws {
        let body = try Fixtures.bytes("hipchat/room_message.json")
        var copied = Notification(platform: .hipchat, text: "/echo hello there")
        try copied.setJSONBody(body)
        #expect(copied.payloadIsRawBody)
        var serialized = copied
        serialized.payload = copied.payload
        #expect(!serialized.payloadIsRawBody)

        let fast = PluginRequest.encode(try invocation(copied), integration: "echo")
        let slow = PluginRequest.encode(try invocation(serialized), integration: "echo")
        let fastDocument = try JSONValue(parsing: fast.bytes.prefix(fast.count))
        #expect(fastDocument == (try JSONValue(parsing: slow.bytes.prefix(slow.count))))
        #expect(fastDocument.value(atPath: "notification.payload.item.message.from.name") == "Ada Lovelace łé")
        #expect(fastDocument.value(atPath: "notification.raw_body")?.stringValue == String(decoding: body, as: UTF8.self))
    }

    @Test func changingTheBodyClearsTheMark() throws {
        var notification = Notification(platform: .generic, text: "")
        try notification.setJSONBody(Array(#"{"a": 1}"#.utf8))
        notification.rawBody = Array("other".utf8)
        #expect(!notification.payloadIsRawBody)
        #expect(throws: JSONParseError.self) { try notification.setJSONBody(Array("{".utf8)) }
    }
}
