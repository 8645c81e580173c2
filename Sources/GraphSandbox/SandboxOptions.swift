import Foundation

/// How the emulated tenant behaves. Defaults follow ../shared/api-notes.md: 4 concurrent photo
/// requests per app, tokens for an hour, no faults.
public struct SandboxOptions: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var users = 100
    /// The share of users who start with a photo.
    public var photoFraction = 0.5
    /// Added to every Graph request before it is answered.
    public var latency: Duration = .zero
    /// The share of Graph requests answered with a fault: 500, 503 with Retry-After, a dropped
    /// connection or a truncated body, in equal parts.
    public var faultRate = 0.0
    /// The Retry-After of an injected 503, in seconds.
    public var faultRetryAfter = 1
    public var tokenLifetime = 3600
    /// Photo requests one app may have in flight; one more is answered 429 ApplicationThrottled.
    public var photoConcurrency = 4
    /// Graph requests per second one app may make; more are answered 429 TooManyRequests. 0: no limit.
    public var rateLimit = 0
    /// Photo writes (uploads and deletes) per second one app may make, the resource-unit budget
    /// of Outlook's limits; more are answered 429 TooManyRequests. 0: no limit.
    public var writeRate = 0
    public var tenant = "contoso.test"
    public var tenantId = "0a1b2c3d-0000-4000-8000-000000000001"
    public var clientId = "11111111-2222-4333-8444-555555555555"
    /// The app's client secret; nil accepts no secret.
    public var clientSecret: String? = "sandbox-secret"
    /// A PEM certificate registered with the app, for client assertions.
    public var certificatePEM: String?
    public var mailDomain = "example.com"
    /// Users beyond the seeded ones, for tests of matching: a UPN, and a mail only if given
    /// (users without a mailbox have none).
    public var extraUsers: [(userPrincipalName: String, mail: String?)] = []
    /// Requests that arrive this soon after a Retry-After was sent were already on their way
    /// (a busy 2-core machine can hold a request that long between the client's decision to
    /// send it and the wire), and are not counted as early.
    public var inFlightAllowance: Duration = .milliseconds(100)
    /// Seeds faults and photo choices, so a run can be repeated.
    public var seed: UInt64 = 1

    public init() {}
}
