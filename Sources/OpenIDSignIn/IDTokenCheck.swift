import Foundation
import JWTKit
import PortraitCore

/// The claims of an ID token the console reads. Their signature is jwt-kit's to verify; what
/// they must say depends on the attempt and the provider, which `IDTokenCheck` knows.
struct IDTokenClaims: JWTPayload {
    var iss: String
    var aud: AudienceClaim
    var azp: String?
    var exp: ExpirationClaim
    var iat: IssuedAtClaim?
    var nbf: NotBeforeClaim?
    var nonce: String?
    var sub: String
    var email: String?
    var emailVerified: Bool?
    var preferredUsername: String?
    var name: String?
    var tid: String?
    var hd: String?
    var groups: [String]?

    enum CodingKeys: String, CodingKey {
        case iss, aud, azp, exp, iat, nbf, nonce, sub, email, name, tid, hd, groups
        case emailVerified = "email_verified"
        case preferredUsername = "preferred_username"
    }

    init(iss: String, aud: [String], azp: String? = nil, exp: Date, iat: Date? = nil, nbf: Date? = nil, nonce: String?, sub: String,
         email: String? = nil, emailVerified: Bool? = nil, preferredUsername: String? = nil, name: String? = nil,
         tid: String? = nil, hd: String? = nil, groups: [String]? = nil) {
        self.iss = iss
        self.aud = AudienceClaim(value: aud)
        self.azp = azp
        self.exp = ExpirationClaim(value: exp)
        self.iat = iat.map { IssuedAtClaim(value: $0) }
        self.nbf = nbf.map { NotBeforeClaim(value: $0) }
        self.nonce = nonce
        self.sub = sub
        self.email = email
        self.emailVerified = emailVerified
        self.preferredUsername = preferredUsername
        self.name = name
        self.tid = tid
        self.hd = hd
        self.groups = groups
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        aud = try container.decode(AudienceClaim.self, forKey: .aud)
        azp = try container.decodeIfPresent(String.self, forKey: .azp)
        exp = try container.decode(ExpirationClaim.self, forKey: .exp)
        iat = try container.decodeIfPresent(IssuedAtClaim.self, forKey: .iat)
        nbf = try container.decodeIfPresent(NotBeforeClaim.self, forKey: .nbf)
        nonce = try container.decodeIfPresent(String.self, forKey: .nonce)
        sub = try container.decode(String.self, forKey: .sub)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        // Google has sent it as a string in older tokens.
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .emailVerified) {
            emailVerified = flag
        } else {
            emailVerified = (try? container.decodeIfPresent(String.self, forKey: .emailVerified)).flatMap { $0 }.map { $0 == "true" }
        }
        preferredUsername = try container.decodeIfPresent(String.self, forKey: .preferredUsername)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        tid = try container.decodeIfPresent(String.self, forKey: .tid)
        hd = try container.decodeIfPresent(String.self, forKey: .hd)
        groups = try container.decodeIfPresent([String].self, forKey: .groups)
    }

    /// Every check needs the attempt: `IDTokenCheck` makes them after the signature is verified.
    func verify(using _: some JWTAlgorithm) async throws {}
}

/// What a verified ID token must say for this console and this attempt (OpenID Connect Core
/// 3.1.3.7), and whom it then names. Pure: a table of tokens tests it.
struct IDTokenCheck: Sendable {
    /// The issuer the discovery document gave.
    var issuer: String
    var clientId: String
    var provider: OpenIDSettings.Provider
    /// Entra: the tenant's id, read from its issuer.
    var tenantId: String?
    /// Clocks differ a little between the provider and this machine.
    static let leeway: TimeInterval = 300

    func identity(_ claims: IDTokenClaims, nonce: String, now: Date = Date()) throws -> SignedInIdentity {
        let google = if case .google = provider { true } else { false }
        // Google's tokens may name their issuer without the scheme.
        guard claims.iss == issuer || (google && issuer == OpenIDSettings.googleIssuer && claims.iss == "accounts.google.com") else {
            throw SignInRefusal("the ID token was issued by \(claims.iss), not \(issuer)")
        }
        guard claims.aud.value.contains(clientId) else {
            throw SignInRefusal("the ID token was issued to another app (\(claims.aud.value.joined(separator: ", "))), not this console's \(clientId)")
        }
        if claims.aud.value.count > 1, claims.azp != clientId {
            throw SignInRefusal("the ID token names several audiences but was not requested by this console (azp)")
        }
        guard claims.exp.value.addingTimeInterval(Self.leeway) > now else {
            throw SignInRefusal("the ID token expired at \(claims.exp.value.formatted(.iso8601)); sign in again")
        }
        if let notBefore = claims.nbf?.value ?? claims.iat?.value, notBefore > now.addingTimeInterval(Self.leeway) {
            throw SignInRefusal("the ID token is not valid before \(notBefore.formatted(.iso8601)): is this machine's clock right?")
        }
        guard let carried = claims.nonce, carried == nonce else {
            throw SignInRefusal("the ID token belongs to another sign-in (its nonce differs); sign in again")
        }
        switch provider {
        case .entra:
            guard let tenantId, claims.tid?.lowercased() == tenantId.lowercased() else {
                throw SignInRefusal("the account belongs to another Microsoft tenant (\(claims.tid ?? "none")), not this organisation's")
            }
            guard let name = claims.preferredUsername ?? claims.email, !name.isEmpty else {
                throw SignInRefusal("the ID token names no account (neither preferred_username nor email)")
            }
            return SignedInIdentity(mail: name, displayName: claims.name, groups: claims.groups ?? [])
        case .google(let hostedDomain):
            guard let mail = claims.email, claims.emailVerified == true else {
                throw SignInRefusal("Google did not vouch for the account's address (no verified email)")
            }
            if let hostedDomain, claims.hd?.lowercased() != hostedDomain {
                throw SignInRefusal("\(mail) is not an account of \(hostedDomain)")
            }
            return SignedInIdentity(mail: mail, displayName: claims.name, hostedDomain: claims.hd)
        }
    }
}
