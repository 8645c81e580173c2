import Foundation
import PortraitCore

/// Sends idempotent requests through a `Throttle`, retrying what is worth retrying: 429, 5xx,
/// dropped connections and truncated bodies, with backoff within the item's budget.
public struct ThrottledClient: Sendable {
    public let http: HTTPService
    public let throttle: Throttle
    public let policy: RetryPolicy

    public init(http: HTTPService = HTTPService(), throttle: Throttle, policy: RetryPolicy = RetryPolicy()) {
        self.http = http
        self.throttle = throttle
        self.policy = policy
    }

    /// Sends the request `make` builds until it gets an answer that is not transient, and returns
    /// it (a 404 is an answer). `reauthorize` is asked once per item about a 401, with the request
    /// that got it: if it dropped stale credentials (true), the request is built and sent again.
    public func perform(
        _ make: @Sendable () async throws -> HTTPRequestSpec,
        reauthorize: (@Sendable (HTTPRequestSpec, HTTPReply) async throws -> Bool)? = nil
    ) async throws -> HTTPReply {
        let clock = ContinuousClock()
        let started = clock.now
        var attempt = 0
        var reauthorized = false
        while true {
            let spec = try await make()
            await throttle.begin()
            let lastProblem: String
            do {
                let reply = try await http.send(spec)
                switch reply.status {
                case 429, 503:
                    await throttle.finish(.throttled(retryAfter: reply.retryAfter))
                    lastProblem = "HTTP \(reply.status)\(reply.retryAfter.map { " (Retry-After \($0))" } ?? "")"
                case 500, 502, 504:
                    await throttle.finish(.failed)
                    lastProblem = "HTTP \(reply.status)"
                case 401 where !reauthorized && reauthorize != nil:
                    await throttle.finish(.healthy)
                    reauthorized = true
                    if try await reauthorize?(spec, reply) == true { continue }
                    return reply
                default:
                    await throttle.finish(.healthy)
                    return reply
                }
            } catch let error as TransportError {
                await throttle.finish(.failed)
                lastProblem = error.description
            }
            attempt += 1
            let wait = policy.backoff(afterAttempt: attempt)
            guard attempt < policy.maxAttempts, clock.now - started + wait < policy.budget else {
                throw RetriesExhausted(attempts: attempt, seconds: (clock.now - started).seconds, last: lastProblem)
            }
            try await Task.sleep(for: wait)
        }
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
