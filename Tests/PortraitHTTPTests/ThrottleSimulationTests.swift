import PortraitCore
import PortraitHTTP
import Testing

/// `ThrottleState` against a simulated service, in simulated time: for every shape a service's
/// limit takes, a job finishes within a tenth of the shape's own bound, no request starts during a
/// Retry-After, and nothing is lost. Deterministic: no clock, no randomness.
@Suite struct ThrottleSimulationTests {
    /// How a simulated service limits one client.
    struct Shape: CustomTestStringConvertible, Sendable {
        var name: String
        /// Sliding windows of arrivals: at most `requests` in any `length`.
        var windows: [(requests: Int, length: Duration)] = []
        var concurrency: Int?
        /// Whether a window's refusal says when to come back (a concurrency refusal always does).
        var retryAfter = true
        /// Limits halved over this stretch of the run.
        var halved: Range<Duration>?
        /// What the client is told the quota is.
        var configured: ThrottleState.RateLimit?
        var limit: ThrottleState.Limit = .rate
        var testDescription: String { name }

        func factor(at time: Duration) -> Double { halved?.contains(time) == true ? 0.5 : 1 }
    }

    static let quota = ThrottleState.RateLimit(requests: 2400, per: .seconds(60))
    static let shapes: [Shape] = [
        Shape(name: "a minute quota as configured", windows: [(2400, .seconds(60))], retryAfter: false, configured: quota),
        Shape(name: "a burst limit of 80 a second with Retry-After", windows: [(80, .seconds(1)), (2400, .seconds(60))], configured: quota),
        Shape(name: "a burst limit of 80 a second without Retry-After", windows: [(80, .seconds(1)), (2400, .seconds(60))], retryAfter: false, configured: quota),
        Shape(name: "a quota of 600 a minute where 2,400 is configured", windows: [(600, .seconds(60))], retryAfter: false, configured: quota),
        Shape(name: "at most 6 at once", concurrency: 6, limit: .concurrency),
        Shape(name: "20 a second, halved from 10 s to 30 s", windows: [(20, .seconds(1))], halved: .seconds(10) ..< .seconds(30)),
        Shape(name: "40 a second, halved from 2 s to 6 s", windows: [(40, .seconds(1))], halved: .seconds(2) ..< .seconds(6)),
    ]

    struct Result {
        var seconds: Double
        var bound: Double
        var early = 0
        var refusals = 0
        var done = 0
    }

    /// `jobs` requests of `latency` each through a scope of `maximum` (the client's known
    /// concurrency), by `workers` callers, against `shape`.
    func simulate(_ shape: Shape, jobs: Int, latency: Duration = .milliseconds(50), maximum: Int = 32, workers: Int = 64) -> Result {
        var state = ThrottleState(start: maximum / 2, maximum: maximum, quota: shape.configured)
        var now = Duration.zero
        var left = jobs
        var result = Result(seconds: 0, bound: bound(shape, jobs: jobs, latency: latency, maximum: maximum))
        var arrivals: [Duration] = []
        var inService = 0
        var holdUntil: Duration?
        /// (when, worker, answer): a worker waking, or an answer reaching it.
        var events: [(at: Duration, worker: Int, answer: (ThrottleState.Ticket, ThrottleState.Outcome)?)] = []
        var ready = Array(0..<workers)
        var waitingForAnswer: [Int] = []

        /// When the client first hears of the hold: requests already on their way are not early.
        var holdHeard = Duration.zero
        func hold(until: Duration, from time: Duration) {
            guard until > holdUntil ?? .zero else { return }
            holdUntil = until
            holdHeard = time + latency
        }
        func serve(at time: Duration) -> ThrottleState.Outcome {
            if let until = holdUntil, time < until, time > holdHeard { result.early += 1 }
            let factor = shape.factor(at: time)
            for window in shape.windows {
                let limit = max(1, Int(Double(window.requests) * factor))
                let recent = arrivals.filter { $0 > time - window.length }
                if recent.count >= limit {
                    let free = recent[recent.count - limit] + window.length
                    let seconds = Duration.seconds(max(1, Int((free - time).seconds.rounded(.up))))
                    if shape.retryAfter { hold(until: time + seconds, from: time) }
                    return .throttled(retryAfter: shape.retryAfter ? seconds : nil, limit: .rate)
                }
            }
            if let concurrency = shape.concurrency, inService >= Int(Double(concurrency) * factor) {
                hold(until: time + .seconds(1), from: time)
                return .throttled(retryAfter: .seconds(1), limit: shape.limit)
            }
            arrivals.append(time)
            if arrivals.count > 5000 { arrivals.removeFirst(1000) }
            inService += 1
            return .healthy
        }

        while left > 0 || !events.isEmpty {
            while let worker = ready.popLast() {
                guard left > 0 else { continue }
                switch state.admit(at: now) {
                case .start(let ticket):
                    left -= 1
                    events.append((now + latency, worker, (ticket, serve(at: now))))
                case .wait(let until):
                    events.append((until, worker, nil))
                case .waitForAnswer:
                    waitingForAnswer.append(worker)
                }
            }
            // At one instant, answers before wake-ups: a caller hears what came back before it sends.
            guard let next = events.indices.min(by: { (events[$0].at, events[$0].answer == nil ? 1 : 0) < (events[$1].at, events[$1].answer == nil ? 1 : 0) }) else { break }
            let event = events.remove(at: next)
            now = event.at
            if let (ticket, outcome) = event.answer {
                state.finish(ticket, outcome, at: now, jitter: 0.75)
                if outcome == .healthy {
                    inService -= 1
                    result.done += 1
                } else {
                    result.refusals += 1
                    left += 1
                }
                ready += waitingForAnswer
                waitingForAnswer.removeAll()
            }
            ready.append(event.worker)
        }
        result.seconds = now.seconds
        return result
    }

    /// The least time the shape allows for `jobs` requests: each started as early as every window
    /// lets it (a sender that knows the limits), within the shape's and the client's concurrency;
    /// plus, where the shape refuses an unthrottled client, one refusal's hold — the least a
    /// client that does not know the limits pays to learn them — and a second for each time the
    /// limit moves.
    func bound(_ shape: Shape, jobs: Int, latency: Duration, maximum: Int) -> Double {
        var starts: [Duration] = []
        for index in 0..<jobs {
            var time = starts.last ?? .zero
            for window in shape.windows {
                // Earliest time at which fewer than the limit started in the window before it.
                while true {
                    let limit = max(1, Int(Double(window.requests) * shape.factor(at: time)))
                    guard index >= limit, starts[index - limit] + window.length > time else { break }
                    time = starts[index - limit] + window.length
                }
            }
            starts.append(time)
        }
        let width = min(maximum, shape.concurrency ?? maximum)
        var seconds = max(starts.last!.seconds, Double(jobs / width - 1) * latency.seconds) + latency.seconds
        let refuses = shape.concurrency.map { $0 < maximum } ?? false || shape.windows.contains { $0.requests < jobs }
        if refuses { seconds += shape.retryAfter || shape.concurrency != nil ? 1 : 0.5 }
        // A limit that moves must be learned again, down and back up: a second each.
        if shape.halved != nil { seconds += 1 }
        return seconds
    }

    @Test(arguments: shapes)
    func aJobFinishesNearTheShapesBoundWithoutEarlyRequests(shape: Shape) {
        for jobs in [300, 3000] {
            let result = simulate(shape, jobs: jobs)
            let share = result.bound / result.seconds
            print("\(shape.name), \(jobs) requests: \(String(format: "%.1f s, bound %.1f s: %.2f of it; %d refusals", result.seconds, result.bound, share, result.refusals))")
            #expect(result.done == jobs, "nothing lost")
            #expect(result.early == 0, "no request during a Retry-After")
            #expect(share >= 0.9, "\(shape.name), \(jobs): \(result.seconds) s against a bound of \(result.bound) s")
        }
    }
}
