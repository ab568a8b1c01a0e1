import Crypto
import Foundation
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

/// Mutated requests to every route of the host serving the shipped examples: bodies with bytes dropped, added and
/// changed, other content types, signed again where the platform checks a signature so that the mutations reach
/// the decoders and the integrations. Every request gets a complete answer below 500, every refusal says why, and
/// the host goes on answering.
@Suite struct MangledRequestTests {
    static let slackSecret = "mangled-slack-secret"
    static let mattermostToken = "mangledmattermosttoken"
    static let teamsToken = Encoding.base64(Array("mangled-teams-security-token".utf8))

    /// One kind of request the mutations start from.
    struct Seed {
        static let json = "application/json"
        static let form = "application/x-www-form-urlencoded"

        let path: String
        let contentType: String?
        let body: [UInt8]
        /// Headers for a body (signatures made over it).
        var sign: @Sendable ([UInt8]) -> [String: String] = { _ in [:] }

        init(_ path: String, _ contentType: String?, _ body: String, sign: (@Sendable ([UInt8]) -> [String: String])? = nil) {
            self.path = path
            self.contentType = contentType
            self.body = Array(body.utf8)
            if let sign { self.sign = sign }
        }
    }

    static func fixture(_ path: String) throws -> String {
        try String(contentsOf: Fixtures.sharedFixtures.appendingPathComponent(path), encoding: .utf8)
    }

    static func fixtureBody(_ path: String, _ member: String = "body") throws -> String {
        try #require(try JSONValue(parsing: fixture(path)).value(atPath: member)?.stringValue)
    }

    static func seeds() throws -> [Seed] {
        let hipchat = try fixture("hipchat/room_message.json")
        let chat = ["/echo hi there", "/roll 3d6+1", "/karma ada++", "/calc (1+2)*3^2", "/deploy staging v1.2"].map {
            Seed("/hipchat", Seed.json, hipchat.replacingOccurrences(of: "/echo hello there", with: $0))
        }
        let slack = "token=x&team_id=T1&channel_id=C1&channel_name=ops&user_id=U1&user_name=ada&command=%2Fcalc"
            + "&text=1%2B2*3&response_url=http%3A%2F%2F127.0.0.1%3A9%2Fr&trigger_id=t"
        let mattermost = try fixtureBody("mattermost/slash_command.json")
            .replacingOccurrences(of: "command=%2Fecho", with: "command=%2Fkarma")
            .replacingOccurrences(of: "text=status+now", with: "text=grace%2B%2B")
        let teams = try fixtureBody("teams/outgoing_webhook.json")
            .replacingOccurrences(of: "<at>Echo</at> hello teams", with: "<at>Roll</at> 2d20")
        return chat + [
            Seed("/slack", Seed.form, slack) { body in
                let timestamp = String(Int(Date().timeIntervalSince1970))
                return [
                    "X-Slack-Request-Timestamp": timestamp,
                    "X-Slack-Signature": SlackSignature.signature(secret: slackSecret, timestamp: timestamp, body: body),
                ]
            },
            Seed("/mattermost", Seed.form, mattermost) { _ in ["Authorization": "Token \(mattermostToken)"] },
            Seed("/teams", Seed.json, teams) { body in
                TeamsSignature.authorization(securityToken: teamsToken, body: body).map { ["Authorization": $0] } ?? [:]
            },
            Seed("/hooks/github-push", Seed.json, try fixtureBody("github/signing_vectors.json", "push.payload")) { _ in
                ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"]
            },
            Seed("/hooks/echo", Seed.json, #"{"text": "from a hook", "n": [1, 2.5e3, null, true]}"#),
            Seed("/hooks/calc", Seed.form, "text=sqrt(16)%2Bmax(1,2)"),
            Seed("/deploy/staging?ref=v1", Seed.json, "{}") { _ in ["X-Deploy-Token": "wrong"] },
            Seed("/", "text/plain", "save mangled.json"),
        ]
    }

    /// Bytes a mutation adds: JSON and form syntax, digits, and bytes that are not valid UTF-8 on their own.
    static let alphabet = Array(#"{}[]":,\/u0123456789.eE+-%&=?# abcdxyz"#.utf8)
        + [0x00, 0x0A, 0x7F, 0xC3, 0xA9, 0xE2, 0x80, 0xFF]
    static let contentTypes: [String?] = [
        nil, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", Seed.form, "text/plain",
        "application/vnd.github+json", "multipart/form-data; boundary=x", ";", "",
    ]

    /// What came back for one request.
    struct Answer: Sendable {
        let route: String
        let status: Int
        let body: String
        let isJSON: Bool
        let error: String?

        init(route: String, response: ManifestHost.Response) {
            self.route = route
            status = response.status
            body = response.text
            isJSON = response.headers["content-type"]?.hasPrefix("application/json") == true
            error = response.json?["error"]?.stringValue
        }
    }

    static func mutate(_ body: [UInt8], using generator: inout RobustnessTests.SeededGenerator) -> [UInt8] {
        var bytes = body
        for _ in 0..<Int.random(in: 1...8, using: &generator) {
            let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0 where !bytes.isEmpty: bytes.remove(at: index)
            case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
            case 2 where !bytes.isEmpty: bytes[index] = alphabet.randomElement(using: &generator)!
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, index + Int.random(in: 1...40, using: &generator))
                bytes.insert(contentsOf: bytes[index..<end], at: index)
            case 4: bytes.removeLast(min(bytes.count, Int.random(in: 0...20, using: &generator)))
            default: break
            }
        }
        return bytes
    }

    @Test func everyRouteAnswersMangledRequestsAndTheHostKeepsServing() async throws {
        let host = try ManifestHost(tokens: [
            "slack_signing_secret:\(Self.slackSecret)", "mattermost_token:\(Self.mattermostToken)",
            "teams_secret:\(Self.teamsToken)", "admin:mangled-admin-token",
        ])
        let seeds = try Self.seeds()
        var generator = RobustnessTests.SeededGenerator(state: 20261202)
        let requests = (0..<150).flatMap { _ in
            seeds.map { seed in
                let body = Self.mutate(seed.body, using: &generator)
                var headers = seed.sign(body)
                let type = Int.random(in: 0..<4, using: &generator) == 0
                    ? Self.contentTypes.randomElement(using: &generator)! : seed.contentType
                if let type { headers["Content-Type"] = type }
                return (path: seed.path, headers: headers, body: body)
            }
        }
        let answers = try await withThrowingTaskGroup(of: [Answer].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var answers: [Answer] = []
                    for (path, headers, body) in stride(from: lane, to: requests.count, by: 8).map({ requests[$0] }) {
                        let response = try await host.request("POST", path, body: body, headers: headers)
                        answers.append(Answer(route: String(path.split(separator: "?")[0]), response: response))
                    }
                    return answers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(answers.count == requests.count)
        for answer in answers {
            #expect(answer.status < 500, "\(answer.route) answered \(answer.status): \(answer.body)")
            if answer.status >= 400 {
                // The host's own refusals are {"error": "..."}; an integration's refusal is its reply text.
                let says = answer.isJSON ? answer.error?.isEmpty == false : !answer.body.isEmpty
                #expect(says, "\(answer.route) answered \(answer.status) without saying why: \(answer.body)")
            }
        }
        // The mutations got past the signatures to the decoders and integrations: each chat route and open hook
        // both ran its integration and refused some bodies.
        for route in ["/hipchat", "/slack", "/mattermost", "/teams", "/hooks/echo", "/hooks/calc"] {
            let statuses = Set(answers.filter { $0.route == route }.map(\.status))
            #expect(statuses.contains(200) && statuses.contains(400), "\(route): \(statuses.sorted())")
        }
        #expect(answers.filter { $0.route == "/deploy/staging" }.allSatisfy { $0.status == 401 || $0.status == 400 })
        #expect(answers.filter { $0.route == "/hooks/github-push" }.allSatisfy { $0.status == 401 || $0.status == 400 })
        let saved = try FileManager.default.contentsOfDirectory(atPath: host.stateDirectory.path).filter { $0 != "host.log" }
        #expect(saved.isEmpty, "admin commands ran without the admin token: \(saved)")

        let after = try await host.hipchat("/echo still here")
        #expect(after.status == 200)
        #expect(after.json?["message"] == "still here")
        await host.stop()
    }
}
