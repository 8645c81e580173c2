import Foundation
import NIOHTTP1
import PortraitCore

/// What every emulated service does alike, kept by each service's own state: access tokens that
/// expire, a penalty after a Retry-After (requests arriving during it are counted as early, per
/// limit that sent it, and extend it by `SandboxOptions.earlyPenalty`), injected faults, and the
/// counters a test or benchmark checks a client by.
struct ServiceGate: Sendable {
    /// What an access token was issued for.
    struct Grant: Sendable {
        var expiry: ContinuousClock.Instant
        /// Who the token acts as (Google's impersonated admin); empty for an app.
        var subject: String
        var scopes: Set<String>
    }

    enum Authentication: Sendable {
        case valid(Grant)
        case missing
        case expired
    }

    /// A fault drawn for one request, in equal parts.
    enum Fault: Sendable {
        case serverError
        case unavailable(retryAfter: Int)
        case drop
        case truncate
    }

    let options: SandboxOptions
    private(set) var stats = SandboxStats()
    private var tokens: [String: Grant] = [:]
    private var penaltyUntil: ContinuousClock.Instant?
    private var penaltyAnnounced: ContinuousClock.Instant?
    /// The limit whose refusal started the penalty ("a fault" for an injected 503).
    private var penaltyCause = ""

    private var random: SeededRandom
    /// Faults draw from their own stream, so that which requests fail does not depend on how
    /// other draws (etags, seeded photos) interleave with them under concurrency.
    private var faults: SeededRandom
    private let clock = ContinuousClock()

    init(options: SandboxOptions, seed: UInt64) {
        self.options = options
        random = SeededRandom(seed: seed)
        faults = SeededRandom(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    var now: ContinuousClock.Instant { clock.now }

    mutating func unit() -> Double { random.unit() }
    mutating func next() -> UInt64 { random.next() }

    // MARK: - Tokens

    /// A new token that expires exactly `options.tokenLifetime` seconds from now.
    mutating func issueToken(prefix: String, subject: String = "", scopes: Set<String> = []) -> String {
        let token = prefix + UUID().uuidString.lowercased()
        tokens[token] = Grant(expiry: clock.now.advanced(by: .seconds(options.tokenLifetime)), subject: subject, scopes: scopes)
        stats.tokensIssued += 1
        return token
    }

    mutating func countTokenRequest() { stats.tokenRequests += 1 }

    /// Counts the request and checks its bearer token.
    mutating func authenticate(_ request: SandboxRequest) -> Authentication {
        stats.requests += 1
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer "),
              let grant = tokens[String(header.dropFirst(7))] else { return .missing }
        guard clock.now < grant.expiry else {
            stats.expiredTokenRejections += 1
            return .expired
        }
        return .valid(grant)
    }

    // MARK: - Penalties and faults

    /// The end of a Retry-After still running when `request` arrived, counting it as early when it
    /// was not already on its way when the Retry-After was sent; an early request extends the penalty.
    mutating func penalty(_ request: SandboxRequest) -> ContinuousClock.Instant? {
        guard let until = penaltyUntil, clock.now < until else { return nil }
        if let announced = penaltyAnnounced, request.arrived - announced > options.inFlightAllowance {
            stats.earlyRequests += 1
            stats.earlyByLimit[penaltyCause, default: 0] += 1
            penaltyUntil = until + options.earlyPenalty
        }
        return penaltyUntil
    }

    /// Whole seconds until `until`, at least one: a Retry-After.
    func seconds(until: ContinuousClock.Instant) -> Int {
        max(1, Int((until - clock.now).seconds.rounded(.up)))
    }

    /// Starts (or extends) a penalty now, when the client can first know of it.
    mutating func announcePenalty(until: ContinuousClock.Instant, cause: String) {
        if let current = penaltyUntil, current >= until { return }
        penaltyUntil = until
        penaltyAnnounced = clock.now
        penaltyCause = cause
    }

    /// A throttling answer by `shape` (nil: the penalty itself), counted; its Retry-After, if
    /// any, starts a penalty.
    mutating func throttled(_ response: SandboxResponse, retryAfter: Int?, by shape: LimitShape?) -> SandboxResponse {
        stats.throttled += 1
        if let shape {
            stats.throttledByLimit[shape.description, default: 0] += 1
            if let retryAfter { announcePenalty(until: clock.now + .seconds(retryAfter), cause: shape.description) }
        }
        return count(response)
    }

    /// A fault for this request, at `options.faultRate`; the request is then in flight.
    mutating func admit() -> Fault? {
        stats.inFlight += 1
        guard options.faultRate > 0, faults.unit() < options.faultRate else { return nil }
        stats.faultsInjected += 1
        switch faults.next() % 4 {
        case 0: return .serverError
        case 1: return .unavailable(retryAfter: options.faultRetryAfter)
        case 2: return .drop
        default: return .truncate
        }
    }

    /// Ends an admitted request whose answer is about to be sent; a 503's Retry-After starts a penalty.
    mutating func release(answer: SandboxResponse) {
        stats.inFlight -= 1
        if answer.status == .serviceUnavailable, case .whole = answer.delivery,
           let seconds = answer.headers.first(where: { $0.0 == "Retry-After" }).flatMap({ Int($0.1) }) {
            announcePenalty(until: clock.now + .seconds(seconds), cause: "a fault")
        }
    }

    /// Counts an answer as sent.
    mutating func count(_ response: SandboxResponse) -> SandboxResponse {
        switch response.delivery {
        case .drop: stats.dropped += 1
        case .truncate: stats.truncated += 1
        case .whole: stats.byStatus[String(response.status.code), default: 0] += 1
        }
        return response
    }

    mutating func record(_ change: (inout SandboxStats) -> Void) { change(&stats) }
}

extension SandboxResponse {
    /// The answer a fault gives instead of `response`, in the service's own error shape.
    static func faulted(_ fault: ServiceGate.Fault, instead response: SandboxResponse,
                        error: (HTTPResponseStatus, [(String, String)]) -> SandboxResponse) -> SandboxResponse {
        switch fault {
        case .serverError: return error(.internalServerError, [])
        case .unavailable(let seconds): return error(.serviceUnavailable, [("Retry-After", String(seconds))])
        case .drop: return SandboxResponse(status: .internalServerError, delivery: .drop)
        case .truncate:
            // A truncated answer needs a body to cut; anything else is dropped instead.
            var cut = response
            cut.delivery = response.body.count > 1 ? .truncate : .drop
            return cut
        }
    }
}
