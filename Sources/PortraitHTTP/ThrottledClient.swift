import Foundation
import Metrics
import Logging
import PortraitCore

/// Sends idempotent requests through a `Throttle`, retrying what is worth retrying: throttling
/// answers, 5xx, dropped connections and truncated bodies, with backoff within the item's budget.
/// Every system's requests go through this one loop; a system only says which of its answers
/// mean "slow down".
public struct ThrottledClient: Sendable {
    /// A throttling answer: which limit it concerns, and what the service called it.
    public struct Signal: Sendable {
        public var limit: ThrottleState.Limit
        /// The service's own word for it ("userRateLimitExceeded"), for messages.
        public var reason: String

        public init(_ limit: ThrottleState.Limit, reason: String = "") {
            self.limit = limit
            self.reason = reason
        }
    }

    /// What a reply says about load, or nil when it is not a throttling answer.
    public typealias Throttling = @Sendable (HTTPReply) -> Signal?

    /// 429 and 503, as HTTP means them: too many requests, or too busy.
    public static let httpThrottling: Throttling = { reply in
        reply.status == 429 || reply.status == 503 ? Signal(.concurrency) : nil
    }

    /// The system's name, for what is logged.
    public let name: String
    public let http: HTTPService
    public let throttle: Throttle
    public let policy: RetryPolicy
    public let reachability: Reachability
    public let throttling: Throttling
    private static let log = Logger(label: "portrait.http")

    public init(name: String, http: HTTPService, throttle: Throttle, policy: RetryPolicy = RetryPolicy(),
                reachability: Reachability = Reachability(), throttling: @escaping Throttling = httpThrottling) {
        self.name = name
        self.http = http
        self.throttle = throttle
        self.policy = policy
        self.reachability = reachability
        self.throttling = throttling
    }

    /// Sends the request `make` builds until it gets an answer that is not transient, and returns
    /// it (a 404 is an answer). Each attempt is built only once the throttle admits it, so a token
    /// it carries is taken fresh after any wait, and confirmed just before it is sent. A 401 is
    /// handed to `reauthorize` with the request that got it: if that dropped a stale token (true),
    /// the request is built and sent again at once, within the item's budget, as often as a new
    /// token is obtained.
    public func perform(
        _ make: @Sendable () async throws -> HTTPRequestSpec,
        reauthorize: (@Sendable (HTTPRequestSpec, HTTPReply) async throws -> Bool)? = nil
    ) async throws -> HTTPReply {
        let clock = ContinuousClock()
        let started = clock.now
        var attempt = 0
        while true {
            if let reason = reachability.lost { throw Unreachable(reason: reason) }
            let ticket = await throttle.begin()
            if let reason = reachability.lost {
                await throttle.finish(ticket, .failed)
                throw Unreachable(reason: reason)
            }
            let spec: HTTPRequestSpec
            do {
                spec = try await make()
            } catch {
                await throttle.finish(ticket, .failed)
                throw error
            }
            // Building it may have waited (for a token); a Retry-After that came meanwhile holds it.
            guard await throttle.confirm(ticket) else { continue }
            let problem: String
            var retryAt: Duration?
            do {
                let reply = try await http.send(spec)
                reachability.answered()
                if let signal = throttling(reply) {
                    let newEpisode = await throttle.finish(ticket, .throttled(retryAfter: reply.retryAfter, limit: signal.limit))
                    problem = "HTTP \(reply.status)\(signal.reason.isEmpty ? "" : " \(signal.reason)")"
                        + (reply.retryAfter.map { " (Retry-After \(Self.seconds($0)))" } ?? "")
                    retryAt = reply.retryAfter
                    if newEpisode {
                        Counter(label: "portrait_throttle_pauses_total", dimensions: [("system", name)]).increment()
                        await announce(problem)
                    }
                } else if [500, 502, 503, 504].contains(reply.status) {
                    await throttle.finish(ticket, .failed)
                    problem = "HTTP \(reply.status)"
                    retryAt = reply.retryAfter
                } else if reply.status == 401 {
                    await throttle.finish(ticket, .healthy)
                    guard let reauthorize, try await reauthorize(spec, reply) else { return reply }
                    attempt += 1
                    guard attempt < policy.maxAttempts, clock.now - started < policy.budget else { return reply }
                    continue
                } else {
                    await throttle.finish(ticket, .healthy)
                    return reply
                }
            } catch let error as TransportError {
                await throttle.finish(ticket, .failed)
                problem = error.description
                if error.atConnect {
                    switch reachability.failedToConnect(error.description, permanent: error.permanent) {
                    case .first:
                        Self.log.warning("\(name): \(error.description); retrying")
                    case .again:
                        break
                    case .lost:
                        Self.log.warning("\(name): unreachable for the rest of this run: \(error.description)")
                        throw Unreachable(reason: error.description)
                    case .alreadyLost:
                        throw Unreachable(reason: reachability.lost ?? error.description)
                    }
                }
            }
            attempt += 1
            let wait = max(policy.backoff(afterAttempt: attempt), retryAt ?? .zero)
            guard attempt < policy.maxAttempts, clock.now - started + wait < policy.budget else {
                throw RetriesExhausted(attempts: attempt, seconds: (clock.now - started).seconds, last: problem)
            }
            if wait >= .seconds(2) {
                Self.log.notice("\(name): \(problem); waiting \(Self.seconds(wait)) before attempt \(attempt + 1) of \(policy.maxAttempts)")
            } else {
                Self.log.info("\(name): \(problem); retrying (attempt \(attempt + 1) of \(policy.maxAttempts))")
            }
            try await Task.sleep(for: wait)
        }
    }

    /// Says on stderr, once per episode, that the service asked for less and what the system does.
    private func announce(_ problem: String) async {
        let state = await throttle.snapshot
        var doing = state.pausedFor.map { "pausing every request for \(Self.seconds($0))" } ?? "slowing down"
        doing += ", then \(state.limit) at once"
        if let rates = state.rateText { doing += ", \(rates)" }
        Self.log.notice("\(name): the service asks for less (\(problem)); \(doing)")
        ThrottleBoard.shared.paused(system: name, reason: problem, concurrency: state.limit, pausedSeconds: state.pausedFor?.seconds, rates: state.rateText)
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f s", duration.seconds)
    }
}

/// An item that kept failing transiently until its retry budget ran out.
public struct RetriesExhausted: Error, CustomStringConvertible {
    public var attempts: Int
    public var seconds: Double
    public var last: String

    public var description: String {
        String(format: "gave up after %d attempts in %.0f s; the last was %@", attempts, seconds, last)
    }
}
