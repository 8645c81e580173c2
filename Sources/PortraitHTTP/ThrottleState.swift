import Foundation

/// The decisions of one throttled scope, a pure function of the service's signals and the time
/// (measured from the scope's start): whether a request may start now, and what an answer
/// teaches about the service's limits. `Throttle` does the waiting.
///
/// Concurrency and rate are separate dimensions. Concurrency doubles after each limit's worth of
/// healthy answers until the first refusal, then grows by one, up to what the service is known to
/// take; it drops to one under what was in flight when the service says too many at once (halves
/// when it says so again before a healthy answer). Rate is learned per window — one second (a
/// burst limit) and the quota's window, a minute unless configured — from refusals, not from the
/// documentation: a refusal belongs to the window whose count of accepted starts up to that
/// request says it could (`refusingWindow`; when none does, it was concurrency), and that
/// window's rate is set just under the count refused. A binding rate is probed upward while
/// answers are healthy, and concurrency grows again: at once to just under the last refusal, past
/// it only after a quiet period that doubles with each refused probe (a refused probe costs a
/// Retry-After) — never past the configured quota or known concurrency.
/// Refusals of requests that started before the last adjustment are the same episode: one refused
/// at a lower count lowers that window's rate to it (the first answer's count held starts refused
/// with it), and nothing else changes. A `Retry-After` holds every request of the scope until it has passed; a throttling
/// answer without one holds the scope for a jittered backoff that grows with refusals in a row.
public struct ThrottleState: Sendable {
    /// A service's quota: at most `requests` starts in any `window`.
    public struct RateLimit: Sendable, Equatable {
        public var requests: Int
        public var window: Duration

        public init(requests: Int, per window: Duration) {
            self.requests = max(1, requests)
            self.window = window
        }
    }

    /// Which of the scope's limits a throttling answer names, as the service's code says it.
    public enum Limit: Sendable, Equatable {
        /// Too many at once (Graph's MailboxConcurrency, Google's quotaExceeded, a 503).
        case concurrency
        /// Too many in a window (Google's rate limits, Graph's TooManyRequests).
        case rate
    }

    public enum Outcome: Sendable, Equatable {
        /// A normal answer, success or not (a 404 says nothing about load).
        case healthy
        /// The service asks for less; `retryAfter` holds the scope.
        case throttled(retryAfter: Duration?, limit: Limit)
        /// A transient failure (500, a dropped connection): no signal about load.
        case failed
    }

    /// A started request: when, its place among starts, and how many were in flight with it
    /// (itself included).
    public struct Ticket: Sendable, Equatable {
        public var start: Duration
        public var sequence: Int
        public var inFlight: Int
    }

    public enum Admission: Sendable, Equatable {
        case start(Ticket)
        /// Nothing may start before then.
        case wait(until: Duration)
        /// Every slot is taken: wait for an answer.
        case waitForAnswer
    }

    /// The last refusal of a limit, which probes pass only after a quiet period. A refused probe
    /// holds every request for a Retry-After, so the quiet is long where the limit is where it
    /// always was (a probe then pays only after long at the higher rate) and short where it just
    /// fell well under what it took before (limits that drop tend to come back); it doubles with
    /// each refused probe.
    struct Ceiling: Sendable, Equatable {
        /// The count refused, until a healthy answer comes at as many.
        var refusedAt: Int?
        var lastRefusal: Duration = .zero
        var quiet = Self.steadyQuiet
        /// A probe went to or past the refusal.
        var probedPast = false

        static let steadyQuiet: Duration = .seconds(10)
        static let movedQuiet: Duration = .seconds(2)
        static let longestQuiet: Duration = .seconds(160)

        /// A refusal at `count`, where the most the limit took with a healthy answer is `healthyMost`.
        mutating func refused(at count: Int, healthyMost: Int, now: Duration) {
            if probedPast {
                quiet = min(Self.longestQuiet, quiet * 2)
            } else if healthyMost >= count + max(2, count / 5) {
                quiet = Self.movedQuiet
            } else {
                quiet = max(quiet, Self.steadyQuiet)
            }
            probedPast = false
            refusedAt = count
            lastRefusal = now
        }

        /// A healthy answer at `count`: a probe a tenth past the refusal answered, the limit has
        /// moved. (Only a probe's, and clearly past: counts taken over a margin, and requests in
        /// flight beside a refused one, make nearby counts prove nothing.)
        mutating func answered(at count: Int) {
            guard probedPast, let refused = refusedAt, count >= refused + max(2, refused / 10) else { return }
            self = Ceiling()
        }

        /// What a probe towards `target` may take the limit to now.
        mutating func allow(_ target: Int, now: Duration) -> Int {
            guard let refused = refusedAt, target >= refused else { return target }
            guard now - lastRefusal >= quiet else { return refused - 1 }
            probedPast = true
            return target
        }
    }

    /// What the scope has learned of one window.
    public struct Window: Sendable, Equatable {
        public let length: Duration
        /// The configured quota for this window, which no probe passes.
        public let cap: Int?
        /// Starts allowed in any stretch of `length`; nil while unlimited.
        public var rate: Int?
        var ceiling = Ceiling()
        /// The most starts this window held with a healthy answer.
        var healthyMost = 0
        /// The most it held with a healthy answer since the rate last changed.
        var healthySinceChange = 0
        var lastChange: Duration = .zero
        var step = Self.firstStep

        static let firstStep = 0.1

        /// The stretch counted beyond `length`: requests reach the service later than they leave,
        /// so two starts a window apart here must not fall in one window there. It starts at 2%
        /// (what a plain client that knows the limit keeps; every percent more is a percent
        /// slower) and doubles, to a tenth, whenever the service refuses a start that kept to
        /// the rate exactly: arrivals there spread wider than the margin allowed.
        public internal(set) var margin: Duration
        var widestMargin: Duration { min(.seconds(1), length * 0.1) }

        init(length: Duration, cap: Int?, rate: Int?) {
            self.length = length
            self.cap = cap
            self.rate = rate
            margin = min(.milliseconds(250), length * 0.02)
        }

        /// Whether a refusal at `count` is the service's window jostled by arrival times rather
        /// than a lower limit: it came at exactly a rate the service has taken healthily (not one
        /// a probe just raised), and the margin may still widen.
        func jostled(at count: Int) -> Bool {
            guard let rate else { return false }
            return count >= rate && healthySinceChange >= rate && margin < widestMargin
        }
        /// How long a binding rate holds before it is probed upward: a window's worth of
        /// answers, but a minute's only 3 s, so that one learned from a refusal that was not the
        /// minute's is soon raised again.
        var probeAfter: Duration { min(.seconds(3), max(.seconds(1), length)) }

        /// When the rate may next be raised; nil at the cap.
        var nextProbe: Duration? {
            guard let rate, rate < cap ?? .max else { return nil }
            let due = lastChange + probeAfter
            // Just under the last refusal already: past it only after the quiet period.
            if let refused = ceiling.refusedAt, rate >= refused - 1 { return max(due, ceiling.lastRefusal + ceiling.quiet) }
            return due
        }
    }

    public let maximum: Int
    public private(set) var limit: Double
    public private(set) var inFlight = 0
    public private(set) var windows: [Window]
    public private(set) var pausedUntil: Duration?
    private var concurrencyCeiling = Ceiling()
    /// The most in flight with a request that answered healthy.
    private var healthyInFlightMost = 0
    /// Until the first concurrency refusal, concurrency doubles rather than grows by one.
    private var slowStart = true
    private var healthyInARow = 0
    private var throttledInARow = 0
    /// The last start before rates or concurrency changed on a refusal: refusals of requests
    /// started until then are the same episode.
    private var adjustedAfter: Int?
    /// The window the episode's refusal was laid on; nil when it was concurrency.
    private var episodeWindow: Int?
    /// Every start within the longest window (and its margin) the service did not refuse, oldest first.
    private var starts: [(at: Duration, sequence: Int)] = []
    private var sequence = 0

    /// `maximum`: the most the service is known to take at once; `quota`: its documented rate.
    public init(start: Int = 2, maximum: Int, quota: RateLimit? = nil) {
        self.maximum = max(1, maximum)
        limit = Double(min(max(1, start), self.maximum))
        let quotaWindow = quota?.window ?? .seconds(60)
        windows = Set([.seconds(1), quotaWindow]).sorted().map { length in
            let requests = length == quotaWindow ? quota?.requests : nil
            return Window(length: length, cap: requests, rate: requests)
        }
    }

    /// Whether a request may start at `now`; a started one must be finished once.
    public mutating func admit(at now: Duration) -> Admission {
        if let until = pausedUntil {
            if now < until { return .wait(until: until) }
            pausedUntil = nil
        }
        forget(before: now - windows.map { $0.length + $0.margin }.max()!)
        var until: Duration?
        for index in windows.indices {
            let inWindow = count(since: now - windows[index].length - windows[index].margin)
            // A full window is probed while answers are healthy, or the service's own signals
            // could never raise a rate learned too low (a longer window blocks every answer).
            if let rate = windows[index].rate, inWindow >= rate, throttledInARow == 0 { probe(index, now: now) }
            let window = windows[index]
            guard let rate = window.rate, inWindow >= rate else { continue }
            // Free once enough of the window's starts have aged out, or when it may be probed.
            var free = starts[starts.count - rate].at + window.length + window.margin
            if throttledInARow == 0, let probe = window.nextProbe { free = min(free, probe) }
            until = max(until ?? free, free)
        }
        if let until { return .wait(until: until) }
        guard inFlight < Int(limit) else { return .waitForAnswer }
        inFlight += 1
        sequence += 1
        starts.append((now, sequence))
        return .start(Ticket(start: now, sequence: sequence, inFlight: inFlight))
    }

    /// Whether an admitted request may still go out at `now`: not when a hold began while it was
    /// being prepared (its token fetched, its body built), for it would arrive during a
    /// Retry-After. A request that may not is withdrawn, as if never admitted.
    public mutating func confirm(_ ticket: Ticket, at now: Duration) -> Bool {
        guard let until = pausedUntil, now < until else { return true }
        inFlight -= 1
        remove(ticket)
        return false
    }

    /// Ends a request; true when a throttling answer starts a new episode, worth telling the user
    /// about. `jitter` (0.5 to 1) scales a backoff.
    @discardableResult
    public mutating func finish(_ ticket: Ticket, _ outcome: Outcome, at now: Duration, jitter: Double = 1) -> Bool {
        inFlight -= 1
        switch outcome {
        case .healthy:
            throttledInARow = 0
            healthyInARow += 1
            concurrencyCeiling.answered(at: ticket.inFlight)
            healthyInFlightMost = max(healthyInFlightMost, ticket.inFlight)
            if healthyInARow >= Int(limit), Int(limit) < maximum {
                let target = concurrencyCeiling.allow(min(maximum, slowStart ? Int(limit) * 2 : Int(limit) + 1), now: now)
                if target > Int(limit) { limit = Double(target) }
                healthyInARow = 0
            }
            let counts = self.counts(through: ticket)
            for index in windows.indices {
                learnHealthy(index, count: counts[index], now: now)
            }
            return false
        case .throttled(let retryAfter, let kind):
            healthyInARow = 0
            let counts = self.counts(through: ticket)
            // The service did not count it either (as far as its limits show).
            remove(ticket)
            let newEpisode = adjustedAfter.map { ticket.sequence > $0 } ?? true
            if newEpisode {
                throttledInARow += 1
                adjustedAfter = sequence
                episodeWindow = kind == .rate ? refusingWindow(counts, now: now) : nil
                if let index = episodeWindow, windows[index].jostled(at: counts[index]) {
                    windows[index].margin = min(windows[index].widestMargin, windows[index].margin * 2)
                } else if let index = episodeWindow {
                    learnRefusal(index, count: counts[index], now: now)
                } else if ticket.inFlight > 1 {
                    slowStart = false
                    // The service took one fewer than were in flight; refused again at once, half.
                    // One admitted with fewer may have reached it after later ones and been the
                    // one refused: then one fewer than are in flight now, as far as it has taken
                    // as many healthily.
                    let inFlight = min(limit, Double(ticket.inFlight))
                    let overtaken = min(limit - 1, Double(self.inFlight), Double(healthyInFlightMost))
                    limit = max(1, throttledInARow > 1 ? (inFlight / 2).rounded(.down) : max(inFlight - 1, overtaken))
                    concurrencyCeiling.refused(at: max(ticket.inFlight, Int(limit) + 1), healthyMost: healthyInFlightMost, now: now)
                }
            } else if kind == .rate, let index = episodeWindow, let rate = windows[index].rate,
                      counts[index] - 1 - counts[index] * 3 / 100 < rate {
                // Refused at a lower count than the episode's first answer, whose count held
                // starts refused with it but not yet answered: the service refused at this one.
                windows[index].rate = max(1, counts[index] - 1 - counts[index] * 3 / 100)
                windows[index].healthySinceChange = 0
                windows[index].ceiling.refusedAt = min(windows[index].ceiling.refusedAt ?? .max, counts[index])
            }
            hold(until: now + (retryAfter ?? backoff(jitter: jitter)))
            return newEpisode
        case .failed:
            return false
        }
    }

    /// Holds every request of the scope until `until`, or longer if already held.
    private mutating func hold(until: Duration) {
        if let current = pausedUntil, current >= until { return }
        pausedUntil = until
    }

    /// The window a rate refusal concerns: the shortest whose count was more than it ever held
    /// healthy, or at least half that (a limit that moved down); the longest only when more, as
    /// its count grows through its whole length. Not a window refused again within seconds of
    /// learning its rate while keeping to it with no healthy answer since, unless jostled: that
    /// rate holds, so a longer window refuses. (With healthy answers between, the limit moved
    /// down again.)
    /// Blaming a shorter window wrongly costs one more refusal; blaming a longer one, its rate
    /// until probes raise it again.
    private func refusingWindow(_ counts: [Int], now: Duration) -> Int? {
        windows.indices.first { index in
            let window = windows[index]
            let keptToIt = window.rate.map { counts[index] <= $0 } ?? false
            if keptToIt, !window.jostled(at: counts[index]), throttledInARow > 1, window.ceiling.refusedAt != nil,
               now - window.ceiling.lastRefusal < window.length * 2 + .seconds(1) { return false }
            return counts[index] > window.healthyMost
                || (index < windows.count - 1 && counts[index] * 2 >= window.healthyMost)
        }
    }

    private mutating func learnRefusal(_ index: Int, count: Int, now: Duration) {
        var window = windows[index]
        window.ceiling.refused(at: count, healthyMost: window.healthyMost, now: now)
        // Just under the count refused: the service let one fewer through.
        window.rate = max(1, min(window.rate ?? .max, count - 1 - count * 3 / 100))
        window.healthySinceChange = 0
        window.step = Window.firstStep
        window.lastChange = now
        windows[index] = window
    }

    private mutating func learnHealthy(_ index: Int, count: Int, now: Duration) {
        var window = windows[index]
        window.healthyMost = max(window.healthyMost, count)
        window.healthySinceChange = max(window.healthySinceChange, count)
        window.ceiling.answered(at: count)
        windows[index] = window
        if let rate = window.rate, count >= rate { probe(index, now: now) }
    }

    /// Raises a binding rate, if it is time: by a step that doubles with each probe.
    private mutating func probe(_ index: Int, now: Duration) {
        var window = windows[index]
        guard let rate = window.rate, let due = window.nextProbe, now >= due else { return }
        var target = window.ceiling.allow(max(rate + 1, Int((Double(rate) * (1 + window.step)).rounded(.up))), now: now)
        if let cap = window.cap { target = min(target, cap) }
        guard target > rate else { return }
        window.rate = target
        window.healthySinceChange = 0
        window.step = min(1, window.step * 2)
        window.lastChange = now
        windows[index] = window
    }

    /// Half to all of 0.5 s · 2^(n−1), at most 30 s, for the n-th throttling episode in a row.
    private func backoff(jitter: Double) -> Duration {
        let ceiling = min(30.0, 0.5 * Double(1 << min(max(0, throttledInARow - 1), 10)))
        return .milliseconds(Int(ceiling * min(1, max(0.5, jitter)) * 1000))
    }

    /// Accepted starts in each window (in `windows` order) that ends with `ticket`'s, itself included.
    private func counts(through ticket: Ticket) -> [Int] {
        let upTo = firstIndex { $0.sequence > ticket.sequence }
        return windows.map { window in
            max(0, upTo - firstIndex { $0.at > ticket.start - window.length - window.margin })
        }
    }

    private mutating func remove(_ ticket: Ticket) {
        let index = firstIndex { $0.sequence >= ticket.sequence }
        if index < starts.count, starts[index].sequence == ticket.sequence { starts.remove(at: index) }
    }

    private func count(since cutoff: Duration) -> Int {
        starts.count - firstIndex { $0.at > cutoff }
    }

    /// The first start that is `after` (every later one is too), found by halving.
    private func firstIndex(where after: ((at: Duration, sequence: Int)) -> Bool) -> Int {
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if after(starts[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private mutating func forget(before cutoff: Duration) {
        let stale = starts.count - count(since: cutoff)
        if stale > 0 { starts.removeFirst(stale) }
    }
}
