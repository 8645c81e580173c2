import Foundation

/// One throttled scope of a service (for Graph's photo limits: the app): how many requests may be
/// in flight, and until when none may start at all.
///
/// Concurrency adapts without tuning (additive increase, multiplicative decrease): it starts low,
/// grows by one after each limit's worth of healthy responses, never past what the service is
/// known to take, and halves on a throttling response. A `Retry-After` pauses the whole scope: no request, new or
/// retried, starts before it has passed.
public actor Throttle {
    public struct Snapshot: Sendable {
        public var limit: Int
        public var inFlight: Int
        public var pausedFor: Duration?
    }

    private let minimum: Int
    private let maximum: Int
    private var limit: Double
    private var inFlight = 0
    private var healthyInARow = 0
    private var pausedUntil: ContinuousClock.Instant?
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let clock = ContinuousClock()

    /// `maximum` is the most the service is known to take at once (Graph photos: 4).
    public init(start: Int = 2, maximum: Int) {
        self.maximum = max(1, maximum)
        minimum = 1
        limit = Double(min(max(1, start), self.maximum))
    }

    /// Waits for a free slot outside any pause; the caller must call `finish` once.
    public func begin() async {
        while true {
            if let until = pausedUntil {
                if clock.now < until {
                    try? await clock.sleep(until: until)
                    continue
                }
                pausedUntil = nil
            }
            if inFlight < Int(limit) {
                inFlight += 1
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    public enum Outcome: Sendable {
        /// A normal answer, success or not (a 404 says nothing about load).
        case healthy
        /// 429 or 503: the service asks for less. `retryAfter` pauses the scope.
        case throttled(retryAfter: Duration?)
        /// A transient failure (500, a dropped connection): no signal about load.
        case failed
    }

    public func finish(_ outcome: Outcome) {
        inFlight -= 1
        switch outcome {
        case .healthy:
            healthyInARow += 1
            if healthyInARow >= Int(limit), Int(limit) < maximum {
                limit += 1
                healthyInARow = 0
            }
        case .throttled(let retryAfter):
            limit = max(Double(minimum), (limit / 2).rounded(.down))
            healthyInARow = 0
            if let retryAfter { pause(for: retryAfter) }
        case .failed:
            break
        }
        wakeAll()
    }

    /// Stops every request of the scope from starting for `duration`, or longer if already paused.
    public func pause(for duration: Duration) {
        let until = clock.now.advanced(by: duration)
        if let current = pausedUntil, current >= until { return }
        pausedUntil = until
    }

    public var snapshot: Snapshot {
        let remaining = pausedUntil.map { $0 - clock.now }
        return Snapshot(limit: Int(limit), inFlight: inFlight, pausedFor: remaining.flatMap { $0 > .zero ? $0 : nil })
    }

    /// Waiters re-check the pause and the limit themselves.
    private func wakeAll() {
        let woken = waiters
        waiters.removeAll()
        woken.forEach { $0.resume() }
    }
}
