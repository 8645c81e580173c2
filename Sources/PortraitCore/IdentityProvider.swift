/// The organisation's identity provider (Microsoft Entra ID, Google), which the console sends
/// people to for signing in — OpenID Connect's authorization code flow with PKCE. The console
/// keeps the attempt and decides who may do what; the provider knows the protocol and HTTP.
public protocol IdentityProvider: Sendable {
    /// "Microsoft" or "Google", as the sign-in button names it.
    var name: String { get }
    /// The provider's sign-in page for this attempt, where the browser is sent.
    func signInURL(for attempt: SignInAttempt) async throws -> String
    /// The person the provider vouches for: the `code` it sent back is redeemed and the ID token's
    /// signature and claims checked against this attempt. Throws `SignInRefusal`.
    func identity(code: String, attempt: SignInAttempt) async throws -> SignedInIdentity
}

/// One sign-in in flight: made when the browser is sent to the provider, used once when it
/// comes back.
public struct SignInAttempt: Sendable {
    /// Sent to the provider and back; ties its answer to this attempt.
    public var state: String
    /// Carried into the ID token; a token minted for another attempt is refused.
    public var nonce: String
    /// PKCE: only its SHA-256 goes to the provider; the code is worthless without it.
    public var codeVerifier: String

    public init(state: String, nonce: String, codeVerifier: String) {
        self.state = state
        self.nonce = nonce
        self.codeVerifier = codeVerifier
    }
}

/// Whom the provider signed in, as far as the console's rules look at it.
public struct SignedInIdentity: Sendable, Equatable {
    /// The sign-in name (Entra's UPN, Google's verified mail), lowercased: decisions are recorded
    /// under it.
    public var mail: String
    public var displayName: String?
    /// Entra's group object ids (the `groups` claim); none from Google.
    public var groups: [String]
    /// The organisation's domain the account belongs to (Google's `hd`), if the provider says.
    public var hostedDomain: String?

    public init(mail: String, displayName: String? = nil, groups: [String] = [], hostedDomain: String? = nil) {
        self.mail = mail.lowercased()
        self.displayName = displayName
        self.groups = groups
        self.hostedDomain = hostedDomain?.lowercased()
    }
}

/// A sign-in the provider or the checks refused: `reason` is shown to the person and logged, so
/// it never holds a code or a token.
public struct SignInRefusal: Error, CustomStringConvertible, Sendable {
    public var reason: String
    /// The provider could not be reached, answered nonsense, or refused the console itself (its
    /// client id or secret): a problem for the administrator, not the person signing in.
    public var forAdministrator: Bool

    public init(_ reason: String, forAdministrator: Bool = false) {
        self.reason = reason
        self.forAdministrator = forAdministrator
    }

    public var description: String { reason }
}
