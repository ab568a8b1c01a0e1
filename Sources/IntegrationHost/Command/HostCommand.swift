/// The command line entry point.
public enum HostCommand {
    /// Runs the host with `arguments` (including the program name) and returns the exit status.
    public static func main(_ arguments: [String]) async -> Int32 {
        print("integration-host: not yet wired")
        return 2
    }
}
