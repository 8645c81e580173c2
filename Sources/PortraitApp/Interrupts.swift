import Foundation
import PortraitCore

/// Ctrl-C and SIGTERM during a run: the first asks the run to stop gracefully (no new writes;
/// those in flight finish and are recorded), the second ends the process at once.
enum Interrupts {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func stopGracefully(_ stop: StopSignal) {
        let count = Counter()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.next() == 1 {
                    stop.request()
                    Terminal.err("Stopping: finishing the writes in flight (Ctrl-C again to stop at once)…")
                } else {
                    Terminal.err("Stopped at once; run the same command to resume.")
                    // No exit handlers: libvips may be mid-decode on another thread.
                    _exit(ExitStatus.interrupted.rawValue)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
