/// How the host writes a log line. `LOG_FORMAT` in the environment picks it.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-23T17:02:26.650Z info request=ID message`: time, level, tags as `key=value`, the message.
    case text
    /// One JSON object a line: `{"ts": …, "level": …, "msg": …, "request": …}`, every tag a string field.
    case json
}
