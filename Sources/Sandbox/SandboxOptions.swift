import Foundation

/// How the emulated services behave. Defaults follow ../shared/api-notes.md: 4 concurrent Graph
/// photo requests per app, 2,400 Google requests a minute per admin, tokens for an hour, no
/// faults. Both services hold the same people (`users`, mail at `mailDomain`); latency, faults
/// and token lifetimes apply to each.
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
    /// Graph's limits on one app: a concurrency cap is answered 429 ApplicationThrottled, a window
    /// 429 TooManyRequests (over writes: Outlook's resource-unit budget). Documented: 4 photo
    /// requests at once.
    public var graphLimits: [LimitShape] = [.concurrency(4, scope: .photos)]
    /// How much longer a Retry-After runs for each request that breaks it (0: as sent).
    public var earlyPenalty: Duration = .zero
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
    /// The Google Workspace domain: its customer id, the admin a service account may act as,
    /// and the service account (its key is made when the sandbox starts).
    public var googleCustomerId = "C0sandbox1"
    public var googleAdmin = "admin@example.com"
    public var googleServiceAccount = "portrait@portrait-sandbox.iam.gserviceaccount.com"
    public var googleClientId = "100000000000000000001"
    /// The scopes domain-wide delegation grants the service account.
    public var googleDelegatedScopes: Set<String> = [
        "https://www.googleapis.com/auth/admin.directory.user",
        "https://www.googleapis.com/auth/admin.directory.user.readonly",
    ]
    /// Google's limits on one admin: a window of a minute or more is answered 403
    /// userRateLimitExceeded, a shorter one 429 rateLimitExceeded, a concurrency cap 403
    /// quotaExceeded. Documented: 2,400 requests a minute, without Retry-After.
    public var googleLimits: [LimitShape] = [.window(2400, per: .seconds(60), retryAfter: false)]
    /// Users (by mail) whose account is suspended.
    public var googleSuspended: Set<String> = []
    /// Users (by mail) who set their own photo, which Google shows over an admin's upload until
    /// the photo is deleted.
    public var googleSelfSetPhotos: Set<String> = []
    /// Permissions granted to the app beyond the photo and user ones every run needs (those are
    /// assumed): `PeopleSettings.Read.All` lets it read `photoUpdateSettings`.
    public var graphOptionalPermissions: Set<String> = []
    /// Entra's `photoUpdateSettings`: `source` (nil when not set, "cloud", "onPremises") and
    /// `allowedRoles` (role template ids); the default lets people change their own photo.
    public var photoUpdateSource: String?
    public var photoUpdateAllowedRoles: [String] = []
    /// People sign in to apps (the console) through the tenant's and the domain's OpenID
    /// provider with this password, whoever they are.
    public var signInPassword = "sandbox"
    /// The first this many seeded people are in the approvers group, the next `consoleViewers`
    /// in the viewers group (Entra's `groups` claim).
    public var consoleApprovers = 2
    public var consoleViewers = 2
    /// The Entra groups the console's `[serve.auth]` can name, by object id.
    public static let approversGroup = "5e1f0c6a-0000-4000-8000-00000000a001"
    public static let viewersGroup = "5e1f0c6a-0000-4000-8000-00000000a002"
    /// The Google OAuth web client people sign in to (Entra's app is `clientId`).
    public var googleWebClientId = "100000000001-portraitconsole.apps.googleusercontent.com"
    public var googleWebClientSecret: String? = "sandbox-web-secret"
    /// Redirect URIs registered for sign-in; a loopback one matches any port, as Entra and Google
    /// treat them.
    public var signInRedirectURIs = ["http://127.0.0.1/login/callback", "http://localhost/login/callback",
                                     "https://127.0.0.1/login/callback", "https://localhost/login/callback"]
    /// How Graph and Google keep an upload (`CopyBehaviour`): what a download gives back.
    public var graphCopies: CopyBehaviour = .documented
    public var googleCopies: CopyBehaviour = .documented
    /// Whether a photo's version moves once more when the service has made its copy (seen at the
    /// next request for it): a write's own version then never confirms it.
    public var copiesMoveVersion = false
    /// Seeds faults and photo choices, so a run can be repeated.
    public var seed: UInt64 = 1

    public init() {}
}
