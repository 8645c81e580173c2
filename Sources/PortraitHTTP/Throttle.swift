import Foundation
import PortraitCore

/// One throttled scope of a service (Graph's photo limits: the app; Google's quota: the
/// impersonated admin), shared by every request to it. The decisions are `ThrottleState`'s; this
/// is where requests wait for them.
public actor Throttle {
    public struct Snapshot: Sendable {
        public var limit: Int
        public var inFlight: Int
        public var pausedFor: Duration?
        /// The rates the scope keeps now, shortest window first.
        public var rates: [ThrottleState.RateLimit]

        /// "at most 78 requests a second", or nil without a rate.
        public var rateText: String? {
            guard !rates.isEmpty else { return nil }
            return "at most " + rates.map { rate in
                let per = rate.window == .seconds(1) ? "a second" : rate.window == .seconds(60) ? "a minute" : "in \(rate.window.seconds) s"
                return "\(rate.requests) requests \(per)"
            }.joined(separator: " and ")
        }
    }

    private var state: ThrottleState
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// `maximum` is the most the service is known to take at once (Graph photos: 4); `quota` its
    /// documented rate, if it has one.
    public init(start: Int = 2, maximum: Int, quota: ThrottleState.RateLimit? = nil) {
        state = ThrottleState(start: start, maximum: maximum, quota: quota)
        origin = clock.now
    }

    private var now: Duration { clock.now - origin }

    /// Waits until the scope lets a request start; the caller must `finish` the ticket once.
    public func begin() async -> ThrottleState.Ticket {
        while true {
            switch state.admit(at: now) {
            case .start(let ticket):
                return ticket
            case .wait(let until):
                try? await clock.sleep(until: origin + until)
            case .waitForAnswer:
                await withCheckedContinuation { waiters.append($0) }
            }
        }
    }

    /// Whether an admitted request may go out now; when not, its ticket is withdrawn and it must
    /// `begin` again.
    public func confirm(_ ticket: ThrottleState.Ticket) -> Bool {
        if state.confirm(ticket, at: now) { return true }
        wake()
        return false
    }

    /// Ends a request; true when a throttling answer starts a new episode (not an answer to a
    /// request already in flight when the scope adjusted), worth telling the user about.
    @discardableResult
    public func finish(_ ticket: ThrottleState.Ticket, _ outcome: ThrottleState.Outcome) -> Bool {
        let newEpisode = state.finish(ticket, outcome, at: now, jitter: .random(in: 0.5...1))
        wake()
        return newEpisode
    }

    /// A slot is free: waiters check the hold and the limits again themselves.
    private func wake() {
        let woken = waiters
        waiters.removeAll()
        woken.forEach { $0.resume() }
    }

    public var snapshot: Snapshot {
        let remaining = state.pausedUntil.map { $0 - now }
        return Snapshot(limit: Int(state.limit), inFlight: state.inFlight, pausedFor: remaining.flatMap { $0 > .zero ? $0 : nil },
                        rates: state.windows.compactMap { window in window.rate.map { .init(requests: $0, per: window.length) } })
    }
}
