import Foundation
import PortraitCore

/// One access token shared by every worker of a system. Fetched by one caller at a time (the
/// others wait for the same fetch), and refreshed before it runs out: when less than half its
/// life, or five minutes, is left.
public actor TokenCache {
    public typealias Fetch = @Sendable () async throws -> (token: Secret, lifetime: Duration)

    private struct Token {
        var value: Secret
        var refreshAt: ContinuousClock.Instant
    }

    private let fetch: Fetch
    private let clock = ContinuousClock()
    private var current: Token?
    private var pending: Task<Token, any Error>?
    public private(set) var fetches = 0

    public init(fetch: @escaping Fetch) {
        self.fetch = fetch
    }

    public func token() async throws -> Secret {
        if let current, clock.now < current.refreshAt { return current.value }
        if let pending { return try await pending.value.value }
        let task = Task { [fetch, clock] in
            let started = clock.now
            let (value, lifetime) = try await fetch()
            let margin = min(.seconds(300), lifetime / 2)
            return Token(value: value, refreshAt: started + lifetime - margin)
        }
        pending = task
        defer { pending = nil }
        let token = try await task.value
        current = token
        fetches += 1
        return token.value
    }

    /// Forgets `rejected` if it is still the current token, so the next caller fetches a new one.
    public func invalidate(_ rejected: Secret) {
        if current?.value.reveal() == rejected.reveal() { current = nil }
    }
}
