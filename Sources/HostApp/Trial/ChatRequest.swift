import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// The request a chat platform sends for `/COMMAND QUERY` in a room, built for `integration-host test`: what the
/// platform's own adapter then decodes, as it decodes the real thing. The sender is a test user.
enum ChatRequest {
    static func make(_ platform: TrialOptions.Platform, command: String, query: String, room: String) -> HTTPRequest {
        let text = query.isEmpty ? "/\(command)" : "/\(command) \(query)"
        switch platform {
        case .hipchat:
            let body: JSONValue = [
                "event": "room_message",
                "item": [
                    "message": ["message": .string(text), "from": ["id": 1, "name": "Test User", "mention_name": "tester"]],
                    "room": ["id": .number(Double(room) ?? 1), "name": "test"],
                ],
            ]
            return request("/hipchat", contentType: "application/json", body: body.serializedBytes())
        case .slack, .mattermost:
            let fields = [
                ("command", "/\(command)"), ("text", query), ("user_id", "U1"), ("user_name", "tester"),
                ("channel_id", room), ("channel_name", "test"), ("team_id", "T1"),
            ]
            let body = fields.map { "\($0.0)=\(formEncoded($0.1))" }.joined(separator: "&")
            return request("/\(platform.rawValue)", contentType: "application/x-www-form-urlencoded", body: Array(body.utf8))
        case .teams:
            let body: JSONValue = [
                "type": "message", "id": "1", "text": .string("<at>\(command)</at> \(htmlEscaped(query))"),
                "from": ["id": "1", "name": "Test User"], "conversation": ["id": .string(room)],
            ]
            return request("/teams", contentType: "application/json", body: body.serializedBytes())
        }
    }

    /// What proves the sender on `platform`, for `--verified`.
    static func proof(_ platform: TrialOptions.Platform) -> SenderProof {
        switch platform {
        case .hipchat: return .hipchatJWT
        case .slack: return .slackSignature
        case .mattermost: return .mattermostToken
        case .teams: return .teamsHMAC
        }
    }

    private static func request(_ path: String, contentType: String, body: [UInt8]) -> HTTPRequest {
        HTTPRequest(
            head: HTTPRequestHead(
                method: .post, target: path, path: path, rawQuery: "", version: .http1_1,
                headers: ["Content-Type": contentType]),
            body: body, peer: TrialRun.peer)
    }

    private static func formEncoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
