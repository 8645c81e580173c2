import Foundation

/// How long and how often one item is retried: exponential backoff with full jitter, within a
/// budget of attempts and of time, so one bad item cannot hold a run up for ever.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// The longest one item may spend retrying, waits included.
    public var budget: Duration

    public init(maxAttempts: Int = 8, base: Duration = .milliseconds(200), cap: Duration = .seconds(30), budget: Duration = .seconds(300)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.budget = budget
    }

    /// A random wait in [0, min(cap, base · 2^attempt)] before attempt `attempt + 1`.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        let ceiling = min(cap, base * (1 << min(attempt, 20)))
        let nanoseconds = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds)))
    }
}
