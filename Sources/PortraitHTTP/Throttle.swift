import Foundation

/// One throttled scope of a service (Graph's photo limits: the app; Google's quota: the
/// impersonated admin): how many requests may be in flight, how many may start in any window of
/// time, and until when none may start at all.
///
/// Both limits adapt without tuning. Concurrency starts low, grows by one after each limit's worth
/// of healthy answers, never past what the service is known to take, and halves when the service
/// says it is overloaded. A rate limit (Google's requests per minute) is a sliding window: a job
/// smaller than the quota runs at full speed; a quota error lowers the rate to a little under what
/// the window held when the service refused (the real quota may be lower than configured), and
/// healthy windows raise it again slowly, never past the configured quota. A `Retry-After` pauses
/// the whole scope: no request, new or retried, starts before it has passed; a throttling answer
/// without one pauses the scope with exponential backoff and jitter.
public actor Throttle {
    public struct Snapshot: Sendable {
        public var limit: Int
        public var inFlight: Int
        public var pausedFor: Duration?
        /// Requests allowed per window now, when the scope has a rate limit.
        public var rate: Int?
    }

    /// A service's quota: at most `requests` starts in any `window`.
    public struct RateLimit: Sendable {
        public var requests: Int
        public var window: Duration

        public init(requests: Int, per window: Duration) {
            self.requests = max(1, requests)
            self.window = window
        }
    }

    /// Which of the scope's limits a throttling answer is about.
    public enum Limit: Sendable {
        /// Too many at once (Graph's MailboxConcurrency, Google's quotaExceeded, a 503).
        case concurrency
        /// Too many in the window (Google's userRateLimitExceeded); a scope without a rate limit
        /// takes it as concurrency.
        case rate
    }

    public enum Outcome: Sendable {
        /// A normal answer, success or not (a 404 says nothing about load).
        case healthy
        /// The service asks for less. `retryAfter` pauses the scope.
        case throttled(retryAfter: Duration?, limit: Limit)
        /// A transient failure (500, a dropped connection): no signal about load.
        case failed
    }

    private let maximum: Int
    private var limit: Double
    private var inFlight = 0
    private var healthyInARow = 0
    private var throttledInARow = 0
    private var pausedUntil: ContinuousClock.Instant?
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let clock = ContinuousClock()

    private let quota: RateLimit?
    /// The window the client keeps: the service's, plus a quarter second for requests that reach
    /// it later than they left here (so two requests a window apart here are never inside one there).
    private let window: Duration
    private var rate: Double
    /// When each request of the current window started, oldest first.
    private var started: [ContinuousClock.Instant] = []

    /// `maximum` is the most the service is known to take at once (Graph photos: 4); `rate` its
    /// quota per window, if it has one.
    public init(start: Int = 2, maximum: Int, rate: RateLimit? = nil) {
        self.maximum = max(1, maximum)
        limit = Double(min(max(1, start), self.maximum))
        quota = rate
        window = (rate?.window ?? .zero) + .milliseconds(250)
        self.rate = Double(rate?.requests ?? 0)
    }

    /// Waits for a free slot within the rate and outside any pause; the caller must call `finish` once.
    public func begin() async {
        while true {
            let now = clock.now
            if let until = pausedUntil {
                if now < until {
                    try? await clock.sleep(until: until)
                    continue
                }
                pausedUntil = nil
            }
            if quota != nil {
                forget(before: now - window)
                let allowed = max(1, Int(rate))
                if started.count >= allowed {
                    // Wait until enough of the window's starts have aged out.
                    try? await clock.sleep(until: started[started.count - allowed] + window)
                    continue
                }
            }
            if inFlight < Int(limit) {
                inFlight += 1
                if quota != nil { started.append(now) }
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Ends a request; true when a throttling answer starts a new episode (not one of the answers
    /// to requests already in flight when the scope paused), worth telling the user about.
    @discardableResult
    public func finish(_ outcome: Outcome) -> Bool {
        inFlight -= 1
        var newEpisode = false
        switch outcome {
        case .healthy:
            throttledInARow = 0
            healthyInARow += 1
            if healthyInARow >= Int(limit), Int(limit) < maximum {
                limit += 1
                healthyInARow = 0
            }
            if let quota {
                // A tenth more, and one, per window's worth of healthy answers.
                rate = min(Double(quota.requests), rate + 0.1 + 1 / max(1, rate))
            }
        case .throttled(let retryAfter, let kind):
            healthyInARow = 0
            // Answers to requests already in flight when the scope paused are the same episode.
            if pausedUntil.map({ clock.now >= $0 }) ?? true {
                throttledInARow += 1
                newEpisode = true
            }
            if kind == .rate, quota != nil {
                forget(before: clock.now - window)
                rate = max(1, min(rate, Double(started.count) * 0.9))
            } else {
                limit = max(1, (limit / 2).rounded(.down))
            }
            pause(for: retryAfter ?? backoff())
        case .failed:
            break
        }
        wakeAll()
        return newEpisode
    }

    /// Stops every request of the scope from starting for `duration`, or longer if already paused.
    public func pause(for duration: Duration) {
        let until = clock.now.advanced(by: duration)
        if let current = pausedUntil, current >= until { return }
        pausedUntil = until
    }

    public var snapshot: Snapshot {
        let remaining = pausedUntil.map { $0 - clock.now }
        return Snapshot(limit: Int(limit), inFlight: inFlight, pausedFor: remaining.flatMap { $0 > .zero ? $0 : nil },
                        rate: quota.map { _ in Int(rate) })
    }

    /// Half to all of 0.5 s · 2^(n−1), at most 30 s, for the n-th throttling answer in a row.
    private func backoff() -> Duration {
        let ceiling = min(30.0, 0.5 * Double(1 << min(throttledInARow - 1, 10)))
        return .milliseconds(Int(Double.random(in: ceiling / 2...ceiling) * 1000))
    }

    private func forget(before cutoff: ContinuousClock.Instant) {
        if let keep = started.firstIndex(where: { $0 > cutoff }) {
            started.removeFirst(keep)
        } else {
            started.removeAll()
        }
    }

    /// Waiters re-check the pause and the limits themselves.
    private func wakeAll() {
        let woken = waiters
        waiters.removeAll()
        woken.forEach { $0.resume() }
    }
}
