import Foundation
import Synchronization

/// How each system's service has slowed Portrait down in this process — the last time it asked
/// for less and what Portrait did — for the console's Systems page. Written where throttling is
/// handled, read by whoever shows it; the console never learns how a system talks to its service.
public final class ThrottleBoard: Sendable {
    public static let shared = ThrottleBoard()

    public struct State: Sendable, Equatable {
        /// Slow-down episodes since this process started.
        public var pauses: Int
        public var lastPause: Date
        /// What the service answered, e.g. "HTTP 429 ApplicationThrottled (Retry-After 1.0 s)".
        public var reason: String
        /// Requests allowed at once after the last pause, and the pause itself.
        public var concurrency: Int
        public var pausedSeconds: Double?
        /// The rates kept after the last pause ("at most 78 requests a second"), where there are any.
        public var rates: String?
    }

    private let states = Mutex<[String: State]>([:])

    public init() {}

    public func paused(system: String, reason: String, concurrency: Int, pausedSeconds: Double?, rates: String?, at date: Date = Date()) {
        states.withLock { states in
            let pauses = (states[system]?.pauses ?? 0) + 1
            states[system] = State(pauses: pauses, lastPause: date, reason: reason, concurrency: concurrency,
                                   pausedSeconds: pausedSeconds, rates: rates)
        }
    }

    /// Systems that were never slowed down have no entry.
    public func snapshot() -> [String: State] {
        states.withLock { $0 }
    }
}
