import Foundation
import Glibc

/// A named pipe that test programs wait at: `: < PATH` blocks until the test opens the gate (holds the pipe open), so
/// the test decides when a program may go on instead of guessing how long it takes to get there.
final class PipeGate {
    let path: String
    private var holder: Int32 = -1

    init(at url: URL) {
        path = url.path
        mkfifo(path, 0o600)
    }

    deinit {
        if holder >= 0 { close(holder) }
    }

    /// Lets every waiting program, and every later one while the gate lives, through.
    func open() {
        if holder < 0 { holder = Glibc.open(path, O_RDWR) }
    }
}
