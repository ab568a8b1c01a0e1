import Dispatch
import FoundationEssentials
import Synchronization
import JSON
import Testing

@testable import IntegrationKit

/// The SDK reads the host's request member by member, on demand; what it reads must be what parsing the whole
/// document and `Notification(json:)` give, for every request, including odd ones (repeated members, wrong types,
/// escapes, missing members).
@Suite struct RequestDocumentTests {
    static let body = #"{"event":"room_message","item":{"message":{"message":"/echo hi \"there\"","from":{"id":1,"name":"Ada"}},"room":{"id":7,"name":"ops"}}}"#

    static var request: String {
        let escapedBody = String(decoding: JSONValue.string(body).serializedBytes(), as: UTF8.self)
        return """
            {"abi_version":1,"integration":"parrot","request_id":"r1","query":"hi \\"there\\"","token":null,
            "all_tokens":{"global":{"send":"S3CRET"},"rooms":[{"room":"7","integration":"parrot","value":"R"}]},
            "route_parameters":{"env":"prod"},"method":"POST","path":"/hipchat",
            "notification":{"platform":"hipchat","team":null,"command":"echo","response_url":null,"event":"room_message",
            "text":"/echo hi \\"there\\"","channel":{"id":"7","name":"ops"},"sender":{"id":"1","name":"Ada","handle":"ada"},
            "timestamp":"2023-11-14T22:13:20.500Z","headers":{"content-type":"application/json","x-b":"2","x-a":"1"},
            "raw_body":\(escapedBody),"payload":\(body),
            "hipchat":{"sender_id":1,"sender_name":"Ada","mention_name":"ada","room_id":7,"room_name":"ops","message":"/echo hi","date":"d"},
            "verified_by":"hipchat_jwt"}}
            """
    }

    /// The notification as the whole-document reader gets it.
    static func expected(_ request: [UInt8]) throws -> Notification {
        try Notification(json: try JSONValue(parsing: request)["notification"] ?? .null)
    }

    static func expectSame(_ read: Notification, _ expected: Notification, _ context: String) {
        #expect(read.platform == expected.platform, "\(context)")
        #expect(read.team == expected.team, "\(context)")
        #expect(read.channel == expected.channel, "\(context)")
        #expect(read.sender == expected.sender, "\(context)")
        #expect(read.text == expected.text, "\(context)")
        #expect(read.command == expected.command, "\(context)")
        #expect(read.responseURL == expected.responseURL, "\(context)")
        #expect(read.timestamp == expected.timestamp, "\(context)")
        #expect(read.event == expected.event, "\(context)")
        #expect(read.headers.map { "\($0.name)=\($0.value)" } == expected.headers.map { "\($0.name)=\($0.value)" }, "\(context)")
        #expect(read.rawBody == expected.rawBody, "\(context)")
        #expect(read.payload == expected.payload, "\(context)")
        #expect(read.hipchat == expected.hipchat, "\(context)")
        #expect(read.verifiedBy == expected.verifiedBy, "\(context)")
    }

    static func document(_ text: String) throws -> RequestDocument {
        try Array(text.utf8).withUnsafeBytes { try RequestDocument($0) }
    }

    @Test func readsWhatTheWholeDocumentSays() throws {
        let text = Self.request
        let document = try Self.document(text)
        Self.expectSame(document.notification, try Self.expected(Array(text.utf8)), "the fixture")
        #expect(document.notification.rawText == Self.body)
        #expect(document.notification.payload["item"]?["room"]?["id"] == 7)
        #expect(document.string("query") == "hi \"there\"")
        #expect(document.string("token") == nil)
        #expect(document.allTokens.global["send"] == "S3CRET")
        #expect(document.allTokens.rooms.first?.value == "R")
        #expect(document.value("route_parameters")?["env"] == "prod")
    }

    /// Each member replaced by a value of another type, repeated with another value, or dropped.
    @Test func oddMembersReadAsTheWholeDocumentReadsThem() throws {
        guard case .object(let root) = try JSONValue(parsing: Self.request), case .object(let notification)? = root["notification"]
        else { Issue.record("fixture"); return }
        let others: [String] = [#"null"#, #"1"#, #""x""#, #"{"id":"9","name":5}"#, #"["a"]"#, #"true"#, #""\u00e9\n""#]
        for name in notification.keys.sorted() {
            for replacement in others {
                for repeated in [false, true] {
                    var members = notification.sorted { $0.key < $1.key }.map { #"\#(JSONValue.string($0.key).serialized()):\#($0.value.serialized())"# }
                    let position = members.firstIndex { $0.hasPrefix(JSONValue.string(name).serialized() + ":") }!
                    let odd = "\(JSONValue.string(name).serialized()):\(replacement)"
                    if repeated { members.append(odd) } else { members[position] = odd }
                    let text = #"{"notification":{"# + members.joined(separator: ",") + "}}"
                    Self.expectSame(try Self.document(text).notification, try Self.expected(Array(text.utf8)), text)
                }
            }
            var members = notification.filter { $0.key != name }.map { #"\#(JSONValue.string($0.key).serialized()):\#($0.value.serialized())"# }
            members.shuffle()
            let text = #"{"notification":{"# + members.joined(separator: ",") + "}}"
            Self.expectSame(try Self.document(text).notification, try Self.expected(Array(text.utf8)), text)
        }
    }

    @Test func refusesWhatIsNotARequest() {
        for text in ["", "[]", #"{"query":"x"}"#, #"{"notification":1}"#, #"{"notification":{}"#, #"{"notification":{"a":tru}}"#] {
            #expect(throws: RequestError.self, "\(text)") { try Self.document(text) }
        }
    }

    /// A plugin in Swift 5 mode (or C-style code) may hand its invocation to threads of its own.
    @Test func threadsOfThePluginsOwnMayReadTheInvocation() throws {
        struct Shared: @unchecked Sendable { let document: RequestDocument }
        let shared = Shared(document: try Self.document(Self.request))
        let texts = Mutex<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let text = shared.document.notification.text + String(shared.document.allTokens.global.count)
            texts.withLock { _ = $0.insert(text) }
        }
        #expect(texts.withLock { $0 } == ["/echo hi \"there\"1"])
    }
}
