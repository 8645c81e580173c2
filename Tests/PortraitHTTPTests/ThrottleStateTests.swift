import PortraitHTTP
import Testing

/// `ThrottleState` as a table: signal sequences in, allowed rate and concurrency out. Time is the
/// state's own (durations from the scope's start); nothing here waits.
@Suite struct ThrottleStateTests {
    static let googleQuota = ThrottleState.RateLimit(requests: 2400, per: .seconds(60))

    /// Starts `count` requests at `at`, as far as the state admits them.
    func start(_ state: inout ThrottleState, _ count: Int, at time: Duration) -> [ThrottleState.Ticket] {
        (0..<count).compactMap { _ in
            if case .start(let ticket) = state.admit(at: time) { ticket } else { nil }
        }
    }

    func healthy(_ state: inout ThrottleState, _ tickets: [ThrottleState.Ticket], at time: Duration) {
        for ticket in tickets { state.finish(ticket, .healthy, at: time) }
    }

    @Test func neverAdmitsMoreThanTheConcurrencyLimit() {
        var state = ThrottleState(start: 2, maximum: 4)
        let two = start(&state, 2, at: .zero)
        #expect(two.count == 2)
        let third = state.admit(at: .zero)
        #expect(third == .waitForAnswer)
        healthy(&state, [two[0]], at: .milliseconds(50))
        guard case .start = state.admit(at: .milliseconds(50)) else { Issue.record("a slot was free"); return }
    }

    @Test func concurrencyDoublesPerLimitsWorthOfHealthyAnswersUpToTheMaximum() {
        var state = ThrottleState(start: 1, maximum: 4)
        var limits: [Int] = []
        for step in 0..<12 {
            let time = Duration.milliseconds(step * 50)
            healthy(&state, start(&state, Int(state.limit), at: time), at: time + .milliseconds(40))
            limits.append(Int(state.limit))
        }
        #expect(limits == [2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], "doubling until the first refusal")
    }

    @Test func aConcurrencyRefusalTakesOneFewerThanWereInFlightAndHoldsTheScope() {
        var state = ThrottleState(start: 4, maximum: 4)
        let four = start(&state, 4, at: .zero)
        let news = state.finish(four[3], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(10))
        #expect(news)
        #expect(state.limit == 3)
        let during = state.admit(at: .milliseconds(500))
        #expect(during == .wait(until: .milliseconds(1010)), "nothing starts before Retry-After")
        // The other answers to requests sent before the refusal are the same episode.
        let sameEpisode = state.finish(four[2], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(20))
        #expect(!sameEpisode)
        #expect(state.limit == 3)
        #expect(state.pausedUntil == .milliseconds(1020), "but each Retry-After holds")
        healthy(&state, [four[0], four[1]], at: .milliseconds(30))
        guard case .start = state.admit(at: .milliseconds(1020)) else { Issue.record("the hold is over"); return }
    }

    @Test func aRequestAdmittedBeforeARetryAfterButNotYetSentIsWithdrawn() {
        var state = ThrottleState(start: 2, maximum: 2)
        let two = start(&state, 2, at: .zero)
        let first = state.confirm(two[0], at: .milliseconds(5))
        #expect(first, "no hold yet: it goes")
        state.finish(two[0], .throttled(retryAfter: .seconds(1), limit: .rate), at: .milliseconds(10))
        let second = state.confirm(two[1], at: .milliseconds(15))
        #expect(!second, "its token came after the refusal: sent now, it would be early")
        #expect(state.inFlight == 0, "withdrawn, not in flight")
        let during = state.admit(at: .milliseconds(20))
        #expect(during == .wait(until: .milliseconds(1010)))
        guard case .start(let again) = state.admit(at: .milliseconds(1010)) else { Issue.record("the hold is over"); return }
        let after = state.confirm(again, at: .milliseconds(1015))
        #expect(after)
    }

    @Test func aRefusalOfOneAdmittedWithFewerDoesNotGoUnderWhatTheServiceTookHealthily() {
        var state = ThrottleState(start: 3, maximum: 3)
        healthy(&state, start(&state, 3, at: .zero), at: .milliseconds(50))
        let three = start(&state, 3, at: .milliseconds(100))
        // The second reached the service after the third: it was refused, though admitted with two.
        state.finish(three[1], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(110))
        #expect(state.limit == 2, "three were in flight: one fewer, not one fewer than two")
        healthy(&state, [three[0], three[2]], at: .milliseconds(120))
        // Refused with no more in flight than the limit: the service's limit moved down.
        let two = start(&state, 2, at: .milliseconds(1_200))
        state.finish(two[1], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(1_210))
        #expect(state.limit == 1)
    }

    @Test func withoutRetryAfterTheHoldIsAJitteredBackoffGrowingWithRefusalsInARow() {
        var state = ThrottleState(start: 1, maximum: 1)
        var holds: [Duration] = []
        var time = Duration.zero
        for _ in 0..<4 {
            if let until = state.pausedUntil { time = until }
            let ticket = start(&state, 1, at: time)[0]
            state.finish(ticket, .throttled(retryAfter: nil, limit: .concurrency), at: time, jitter: 0.5)
            holds.append(state.pausedUntil! - time)
        }
        #expect(holds == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
    }

    @Test func refusedAgainBeforeAHealthyAnswerConcurrencyHalves() {
        var state = ThrottleState(start: 8, maximum: 8)
        let first = start(&state, 8, at: .zero)
        state.finish(first[7], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(10))
        #expect(state.limit == 7)
        healthy(&state, Array(first.prefix(7)), at: .milliseconds(20))
        let again = start(&state, 7, at: .seconds(2))
        state.finish(again[6], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(2_010))
        #expect(state.limit == 6, "healthy answers came between: one fewer")
        for ticket in again.prefix(6) { state.finish(ticket, .failed, at: .milliseconds(2_020)) }
        let third = start(&state, 6, at: .seconds(4))
        state.finish(third[5], .throttled(retryAfter: .seconds(1), limit: .concurrency), at: .milliseconds(4_010))
        #expect(state.limit == 3, "no healthy answer since: half")
    }

    @Test func failuresSayNothingAboutLoad() {
        var state = ThrottleState(start: 2, maximum: 4)
        let one = start(&state, 1, at: .zero)[0]
        let news = state.finish(one, .failed, at: .milliseconds(5))
        #expect(!news)
        #expect(state.limit == 2 && state.pausedUntil == nil && state.windows.allSatisfy { $0.rate == $0.cap })
    }

    @Test func aQuotaAdmitsItsWorthAtOnceThenWaitsForTheWindowAndItsMargin() {
        var state = ThrottleState(start: 8, maximum: 8, quota: .init(requests: 5, per: .seconds(60)))
        healthy(&state, start(&state, 5, at: .zero), at: .milliseconds(10))
        let sixth = state.admit(at: .seconds(1))
        #expect(sixth == .wait(until: .milliseconds(60_250)))
    }

    @Test func aRefusalAfterManyStartsInOneSecondIsABurstLimitNotTheMinutesQuota() {
        var state = ThrottleState(start: 100, maximum: 100, quota: Self.googleQuota)
        let tickets = start(&state, 81, at: .milliseconds(300))
        healthy(&state, Array(tickets.prefix(80)), at: .milliseconds(350))
        let news = state.finish(tickets[80], .throttled(retryAfter: .seconds(1), limit: .rate), at: .milliseconds(350))
        #expect(news)
        #expect(state.windows.map(\.rate) == [78, 2400], "just under the 81 refused, in the second")
        #expect(state.limit == 100, "a rate refusal leaves concurrency alone")
    }

    @Test func aRefusalWhileKeepingToTheSecondsRateIsTheMinutesQuota() {
        // A quota lower than configured: 600 a minute, sent 40 a second.
        var state = ThrottleState(start: 100, maximum: 100, quota: Self.googleQuota)
        var last: [ThrottleState.Ticket] = []
        for second in 0..<15 {
            last = start(&state, 40, at: .seconds(second))
            if second < 14 { healthy(&state, last, at: .seconds(second) + .milliseconds(50)) }
        }
        healthy(&state, Array(last.prefix(39)), at: .milliseconds(14_050))
        state.finish(last[39], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(14_050))
        #expect(state.windows.map(\.rate) == [77, 2400], "first taken for the second's limit: a mistake one refusal corrects")
        // Refused again while keeping to that rate: the minute's quota, at its 600th start.
        let next = start(&state, 1, at: .milliseconds(14_600))
        state.finish(next[0], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(14_650))
        #expect(state.windows.map(\.rate) == [77, 581])
    }

    @Test func aRateRefusalNeitherWindowExplainsIsConcurrency() {
        var state = ThrottleState(start: 8, maximum: 8, quota: Self.googleQuota)
        healthy(&state, start(&state, 8, at: .zero), at: .milliseconds(100))
        let eight = start(&state, 8, at: .seconds(2))
        healthy(&state, eight.filter { $0.inFlight != 3 }, at: .milliseconds(2_010))
        // The third of the second, the eleventh of the minute: both windows held far more with
        // healthy answers. Too many at once, not too many in a window.
        state.finish(eight[2], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(2_020))
        #expect(state.windows.map(\.rate) == [nil, 2400])
        #expect(state.limit == 2, "one fewer than the three in flight with it")
    }

    @Test func aBindingRateIsProbedBackToJustUnderTheRefusalThenPastItOnlyAfterAQuietPeriod() {
        var state = ThrottleState(start: 200, maximum: 200)
        let first = start(&state, 101, at: .zero)
        healthy(&state, Array(first.prefix(100)), at: .milliseconds(50))
        state.finish(first[100], .throttled(retryAfter: .seconds(1), limit: .rate), at: .milliseconds(50))
        #expect(state.windows[0].rate == 97)
        var rates: [(at: Duration, rate: Int?)] = []
        var time = Duration.milliseconds(1_200)
        // Every 0.6 s, as many as the window takes, answered healthily.
        while time < .seconds(12) {
            healthy(&state, start(&state, 200, at: time), at: time + .milliseconds(50))
            rates.append((time + .milliseconds(50), state.windows[0].rate))
            time += .milliseconds(600)
        }
        let quiet = rates.filter { $0.at < .milliseconds(2_050) }.map(\.rate)
        #expect(quiet.contains(100) && quiet.allSatisfy { ($0 ?? 0) <= 100 }, "just under the refusal for two seconds of quiet: \(rates)")
        #expect((rates.last!.rate ?? 0) > 101, "then past it, the limit having moved: \(rates)")
    }

    @Test func aProbeRefusedAgainDoublesTheQuietPeriod() {
        var state = ThrottleState(start: 200, maximum: 200)
        var time = Duration.zero
        var refusals: [Duration] = []
        var accepted: [Duration] = []
        // A service refusing the 101st start in any second, for a minute.
        while time < .seconds(60) {
            for ticket in start(&state, 200, at: time) {
                accepted.removeAll { $0 <= time - .seconds(1) }
                if accepted.count >= 100 {
                    if state.finish(ticket, .throttled(retryAfter: .seconds(1), limit: .rate), at: time + .milliseconds(50)) { refusals.append(time) }
                } else {
                    accepted.append(time)
                    state.finish(ticket, .healthy, at: time + .milliseconds(50))
                }
            }
            time = max(time + .milliseconds(100), state.pausedUntil ?? .zero)
        }
        #expect(refusals.count <= 3, "the first, then probes 10 and 20 s of quiet apart: \(refusals)")
    }

    @Test func aLimitThatFellWellUnderWhatItTookIsProbedAgainWithinSeconds() {
        var state = ThrottleState(start: 200, maximum: 200)
        var time = Duration.zero
        var firstPastHalf: Duration?
        // 100 a second for 5 s, then 50 (as a service under load), then 100 again from 8 s.
        while time < .seconds(20) {
            let allowed = time >= .seconds(5) && time < .seconds(8) ? 50 : 100
            let tickets = start(&state, 200, at: time)
            for (index, ticket) in tickets.enumerated() {
                let outcome: ThrottleState.Outcome = index >= allowed ? .throttled(retryAfter: .seconds(1), limit: .rate) : .healthy
                state.finish(ticket, outcome, at: time + .milliseconds(50))
            }
            if time >= .seconds(8), firstPastHalf == nil, (state.windows[0].rate ?? 0) > 60 { firstPastHalf = time }
            time = max(time + .seconds(1), state.pausedUntil ?? .zero)
        }
        #expect(firstPastHalf.map { $0 <= .seconds(12) } ?? false, "raised again within seconds of the limit's return, not after 10 s of quiet: \(String(describing: firstPastHalf))")
    }

    @Test func theEpisodesLowestRefusedCountSetsTheRate() {
        var state = ThrottleState(start: 20, maximum: 20)
        let tickets = start(&state, 14, at: .zero)
        healthy(&state, Array(tickets.prefix(10)), at: .milliseconds(40))
        // The service took 10 in its second; the 13th's answer comes first, while the 11th and
        // 12th, refused with it, are still counted as in flight.
        state.finish(tickets[12], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(50))
        #expect(state.windows[0].rate == 12)
        state.finish(tickets[10], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(51))
        #expect(state.windows[0].rate == 10, "refused at its 11th start: at most 10")
        state.finish(tickets[11], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(52))
        state.finish(tickets[13], .throttled(retryAfter: nil, limit: .rate), at: .milliseconds(53))
        #expect(state.windows[0].rate == 10, "later ones, counted after the refused were removed, say no less")
    }

    @Test func aRefusalAtExactlyTheRateWidensTheMarginInsteadOfLoweringTheRate() {
        var state = ThrottleState(start: 20, maximum: 20)
        let first = start(&state, 11, at: .zero)
        healthy(&state, Array(first.prefix(10)), at: .milliseconds(40))
        state.finish(first[10], .throttled(retryAfter: .seconds(1), limit: .rate), at: .milliseconds(50))
        #expect(state.windows[0].rate == 10)
        let margin = state.windows[0].margin
        // A second at 10, all healthy: the service takes 10.
        healthy(&state, start(&state, 11, at: .milliseconds(1_100)), at: .milliseconds(1_150))
        // Kept to 10 a second again, but the service saw 11 in its second: arrivals jostled.
        let again = start(&state, 11, at: .milliseconds(2_200))
        #expect(again.count == 10)
        healthy(&state, Array(again.prefix(9)), at: .milliseconds(2_250))
        state.finish(again[9], .throttled(retryAfter: .seconds(1), limit: .rate), at: .milliseconds(2_250))
        #expect(state.windows[0].rate == 10, "the rate was right")
        #expect(state.windows[0].margin == margin * 2, "the spacing was not")
        #expect(state.windows[1].rate == nil, "and the minute did not refuse")
    }

    @Test func probesNeverPassTheConfiguredQuota() {
        var state = ThrottleState(start: 50, maximum: 50, quota: .init(requests: 30, per: .seconds(1)))
        var time = Duration.zero
        while time < .seconds(30) {
            healthy(&state, start(&state, 50, at: time), at: time + .milliseconds(20))
            time += .milliseconds(1_100)
        }
        #expect(state.windows.map(\.rate) == [30])
    }
}
