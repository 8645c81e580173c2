import PortraitCore
import PortraitHTTP
import Testing

@Suite struct TokenCacheTests {
    actor Counter {
        var value = 0
        func next() -> Int {
            value += 1
            return value
        }
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let counter = Counter()
        let cache = TokenCache {
            let n = await counter.next()
            try await Task.sleep(for: .milliseconds(50))
            return (Secret("token-\(n)"), .seconds(3600))
        }
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await cache.token().reveal() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tokens == ["token-1"])
        #expect(await counter.value == 1)
    }

    @Test func keepsATokenWhileMostOfItsLifeIsLeft() async throws {
        let counter = Counter()
        let cache = TokenCache { (Secret("token-\(await counter.next())"), .seconds(3600)) }
        #expect(try await cache.token().reveal() == "token-1")
        #expect(try await cache.token().reveal() == "token-1")
        #expect(await counter.value == 1)
    }

    @Test func refreshesOnceHalfItsLifeIsGone() async throws {
        let counter = Counter()
        let cache = TokenCache { (Secret("token-\(await counter.next())"), .milliseconds(200)) }
        #expect(try await cache.token().reveal() == "token-1")
        // Half its life gone: a new one is fetched before the old one expires.
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await cache.token().reveal() == "token-2")
    }

    @Test func aRejectedTokenIsDroppedOnlyIfStillCurrent() async throws {
        let counter = Counter()
        let cache = TokenCache { (Secret("token-\(await counter.next())"), .seconds(3600)) }
        let first = try await cache.token()
        await cache.invalidate(first)
        let second = try await cache.token()
        #expect(second.reveal() == "token-2")
        // A late 401 for the first token must not throw away the second.
        await cache.invalidate(first)
        #expect(try await cache.token().reveal() == "token-2")
    }
}

@Suite struct RetryPolicyTests {
    @Test func backoffIsFullJitterUnderAGrowingCeiling() {
        let policy = RetryPolicy(base: .milliseconds(100), cap: .seconds(2))
        for attempt in 0..<12 {
            let ceiling = min(Duration.seconds(2), .milliseconds(100) * (1 << attempt))
            for _ in 0..<50 {
                let wait = policy.backoff(afterAttempt: attempt)
                #expect(wait >= .zero && wait <= ceiling)
            }
        }
    }
}
