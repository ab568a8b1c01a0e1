/// Whether `condition` holds within `timeout`, checked every 10 ms: for what happens in the background. The timeout
/// is generous on purpose (a busy machine is slow, not broken); only a failing test waits it out.
public func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
