/// What a host gives every manifest it loads: the exec slots they share (`--max-exec`), how their programs are
/// contained (`--exec-containment`), and the threads their regexes are matched on (`--regex-threads`).
public struct ManifestRuntime: Sendable {
    public let execSlots: ExecSlots
    public let containment: ExecContainment
    public let regexPool: RegexPool

    public init(
        execSlots: ExecSlots = ExecSlots(), containment: ExecContainment = .detected, regexPool: RegexPool = .shared
    ) {
        self.execSlots = execSlots
        self.containment = containment
        self.regexPool = regexPool
    }
}
