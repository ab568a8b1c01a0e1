/// The request body limits an admin may set for webhook routes, host-wide (`--max-body`) or per integration (a
/// manifest's `limits.body_mib`), in MiB. GitHub sends payloads of up to 25 MB.
public enum RequestBodyLimit {
    public static let mebibytes: ClosedRange<Int> = 1...1024

    /// `mebibytes` MiB in bytes.
    public static func bytes(mebibytes: Int) -> Int { mebibytes << 20 }
}
