import PortraitCore
import PortraitHTTP
import Testing

@Suite struct ThrottleTests {
    @Test func neverAdmitsMoreThanTheLimit() async {
        let throttle = Throttle(start: 2, maximum: 4)
        await throttle.begin()
        await throttle.begin()
        #expect(await throttle.snapshot.inFlight == 2)
        let third = Task { await throttle.begin() }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(await throttle.snapshot.inFlight == 2, "the third waits for a slot")
        await throttle.finish(.healthy)
        await third.value
        #expect(await throttle.snapshot.inFlight == 2)
    }

    @Test func growsWhileHealthyUpToTheMaximumAndHalvesWhenThrottled() async {
        let throttle = Throttle(start: 1, maximum: 4)
        for _ in 0..<20 {
            await throttle.begin()
            await throttle.finish(.healthy)
        }
        #expect(await throttle.snapshot.limit == 4)
        await throttle.begin()
        await throttle.finish(.throttled(retryAfter: nil, limit: .concurrency))
        #expect(await throttle.snapshot.limit == 2)
        await throttle.begin()
        await throttle.finish(.throttled(retryAfter: nil, limit: .concurrency))
        await throttle.begin()
        await throttle.finish(.throttled(retryAfter: nil, limit: .concurrency))
        #expect(await throttle.snapshot.limit == 1, "never below one")
    }

    @Test func retryAfterPausesEveryRequestOfTheScope() async {
        let throttle = Throttle(start: 4, maximum: 4)
        await throttle.begin()
        await throttle.finish(.throttled(retryAfter: .milliseconds(300), limit: .concurrency))
        let clock = ContinuousClock()
        let started = clock.now
        // Several requests at once: none may start before the pause is over.
        await withTaskGroup(of: Duration.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await throttle.begin()
                    let waited = clock.now - started
                    await throttle.finish(.healthy)
                    return waited
                }
            }
            for await waited in group {
                #expect(waited >= .milliseconds(290))
            }
        }
    }

    @Test func failuresSayNothingAboutLoad() async {
        let throttle = Throttle(start: 2, maximum: 4)
        await throttle.begin()
        await throttle.finish(.failed)
        #expect(await throttle.snapshot.limit == 2)
        #expect(await throttle.snapshot.pausedFor == nil)
    }
}

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

    @Test func aRateLimitAdmitsAQuotasWorthAtOnceThenWaitsForTheWindow() async {
        // Five per 200 ms (the client keeps the window a quarter second longer, for requests the
        // service receives later than they left).
        let throttle = Throttle(start: 8, maximum: 8, rate: .init(requests: 5, per: .milliseconds(200)))
        let clock = ContinuousClock()
        let started = clock.now
        let admitted = await withTaskGroup(of: Duration.self) { group in
            for _ in 0..<7 {
                group.addTask {
                    await throttle.begin()
                    await throttle.finish(.healthy)
                    return clock.now - started
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted()
        }
        // However slow the machine, the sixth cannot start before the first has left the window.
        #expect(admitted[5] >= .milliseconds(450), "\(admitted)")
        #expect(await throttle.snapshot.rate == 5)
    }

    @Test func aQuotaErrorLowersTheRateBelowWhatTheWindowHeld() async {
        let throttle = Throttle(start: 8, maximum: 8, rate: .init(requests: 100, per: .seconds(60)))
        for _ in 0..<20 {
            await throttle.begin()
            await throttle.finish(.healthy)
        }
        await throttle.begin()
        await throttle.begin()
        // 22 in the window when the service refused: the real quota is about that.
        await throttle.finish(.throttled(retryAfter: .milliseconds(1), limit: .rate))
        #expect(await throttle.snapshot.rate == 19)
        #expect(await throttle.snapshot.limit == 8, "a rate signal leaves concurrency alone")
        // The other refusal of the same window does not lower it further.
        await throttle.finish(.throttled(retryAfter: .milliseconds(1), limit: .rate))
        #expect(await throttle.snapshot.rate == 19)
    }

    @Test func throttlingWithoutRetryAfterPausesTheScope() async {
        let throttle = Throttle(start: 4, maximum: 4)
        await throttle.begin()
        await throttle.finish(.throttled(retryAfter: nil, limit: .concurrency))
        let paused = await throttle.snapshot.pausedFor
        #expect(paused != nil && paused! >= .milliseconds(200), "backoff of 0.25–0.5 s, jittered")
    }
}
