extension Duration {
    /// Whole milliseconds, at least 1 for any positive duration.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return ms == 0 && attoseconds > 0 ? 1 : ms
    }
}
