import Crypto
import Foundation
import JWTKit
import PortraitCore
import PortraitHTTP

/// Signs people in with Microsoft Entra ID or Google: OpenID Connect's authorization code flow
/// with PKCE, the ID token verified against the keys the provider publishes (JWKS).
///
/// The discovery document and the keys are fetched when first needed, not at start, so a
/// console starts while the provider is unreachable. A token signed with a key not yet known is
/// the provider's key rotation: the keys are fetched again, never tried against another key.
public actor OpenIDClient: IdentityProvider {
    public nonisolated let name: String
    private let settings: OpenIDSettings
    private let http: HTTPService
    private var discovery: (document: Discovery, fetched: ContinuousClock.Instant)?
    private var keys: (collection: JWTKeyCollection, kids: Set<String>)?
    /// Key ids that made the keys be fetched again and were not among them: each costs one fetch.
    private var unpublishedKids: Set<String> = []

    /// The discovery document is read again after a day (endpoints rarely move).
    static let discoveryLifetime: Duration = .seconds(86_400)

    public init(settings: OpenIDSettings) throws {
        self.settings = settings
        http = try HTTPService(caFile: settings.caFile)
        name = switch settings.provider {
        case .entra: "Microsoft"
        case .google: "Google"
        }
    }

    struct Discovery: Decodable {
        var issuer: String
        var authorizationEndpoint: String
        var tokenEndpoint: String
        var jwksURI: String

        enum CodingKeys: String, CodingKey {
            case issuer
            case authorizationEndpoint = "authorization_endpoint"
            case tokenEndpoint = "token_endpoint"
            case jwksURI = "jwks_uri"
        }
    }

    public func signInURL(for attempt: SignInAttempt) async throws -> String {
        let document = try await discovered()
        let challenge = Base64URL.encode(Data(SHA256.hash(data: Data(attempt.codeVerifier.utf8))))
        var fields = [
            ("client_id", settings.clientId), ("response_type", "code"), ("redirect_uri", settings.redirectURI),
            ("response_mode", "query"), ("scope", "openid profile email"), ("state", attempt.state), ("nonce", attempt.nonce),
            ("code_challenge", challenge), ("code_challenge_method", "S256"),
        ]
        if case .google(let domain?) = settings.provider {
            // Only a hint for Google's account chooser: the `hd` claim is what is checked.
            fields.append(("hd", domain))
        }
        return document.authorizationEndpoint + "?" + URLEncoding.form(fields)
    }

    public func identity(code: String, attempt: SignInAttempt) async throws -> SignedInIdentity {
        let document = try await discovered()
        let form = URLEncoding.form([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", settings.redirectURI),
            ("client_id", settings.clientId), ("client_secret", settings.clientSecret.reveal()), ("code_verifier", attempt.codeVerifier),
        ])
        let reply = try await send(HTTPRequestSpec(method: .POST, url: document.tokenEndpoint,
                                                   headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                                   body: Data(form.utf8)), what: "token endpoint")
        guard reply.status == 200 else {
            let problem = Self.problem(in: reply.body, status: reply.status)
            // The app's own credentials refused: nobody signing in can fix that.
            let console = reply.status == 401 || problem.hasPrefix("invalid_client") || problem.hasPrefix("unauthorized_client")
            throw SignInRefusal("\(name) refused to complete the sign-in: \(problem)", forAdministrator: console)
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: reply.body) else {
            throw SignInRefusal("\(name)'s token endpoint answered without an ID token", forAdministrator: true)
        }
        let claims = try await verified(answer.idToken)
        return try IDTokenCheck(issuer: document.issuer, clientId: settings.clientId, provider: settings.provider,
                                tenantId: Self.tenantId(of: document.issuer))
            .identity(claims, nonce: attempt.nonce)
    }

    private struct TokenAnswer: Decodable {
        var idToken: String
        enum CodingKeys: String, CodingKey { case idToken = "id_token" }
    }

    // MARK: - The ID token's signature

    private func verified(_ token: String) async throws -> IDTokenClaims {
        let header = try Self.header(of: token)
        // RS256 is what both providers sign with; anything else (none, HS256 with the public
        // key as secret) is refused before a key is looked at.
        guard header.alg == "RS256" else { throw SignInRefusal("the ID token is signed with \(header.alg ?? "nothing"), not RS256") }
        guard let kid = header.kid else { throw SignInRefusal("the ID token names no signing key (kid)") }
        var current = try await publishedKeys(refresh: false)
        if !current.kids.contains(kid) {
            // The provider's new key, or a forgery: its key set says which — once per unknown id.
            if !unpublishedKids.contains(kid) { current = try await publishedKeys(refresh: true) }
            guard current.kids.contains(kid) else {
                if unpublishedKids.count > 1_000 { unpublishedKids.removeAll() }
                unpublishedKids.insert(kid)
                throw SignInRefusal("the ID token is signed with a key \(name) does not publish (kid \(kid)): forged, or from another provider")
            }
        }
        do {
            return try await current.collection.verify(token, as: IDTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw SignInRefusal("the ID token's signature is not \(name)'s: forged or altered")
        } catch {
            throw SignInRefusal("the ID token could not be read: \(error)")
        }
    }

    private struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    private static func header(of token: String) throws -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(String(parts[0])), let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw SignInRefusal("the ID token is not a signed JWT")
        }
        return header
    }

    /// The provider's signing keys, fetched when first needed and again on `refresh`.
    private func publishedKeys(refresh: Bool) async throws -> (collection: JWTKeyCollection, kids: Set<String>) {
        if let keys, !refresh { return keys }
        let document = try await discovered()
        let reply = try await send(HTTPRequestSpec(method: .GET, url: document.jwksURI, headers: [("Accept", "application/json")]), what: "signing keys")
        guard reply.status == 200, let set = try? JSONDecoder().decode(JWKS.self, from: reply.body) else {
            throw SignInRefusal("\(name)'s signing keys (\(document.jwksURI)) answered \(reply.status) without a key set", forAdministrator: true)
        }
        let signing = set.keys.filter { $0.keyType == .rsa && $0.keyIdentifier != nil }
        let collection = JWTKeyCollection()
        for key in signing {
            try await collection.add(jwk: key)
        }
        // A token naming no known key must not be tried against a default one.
        _ = await collection.clearDefault()
        let kids = Set(signing.compactMap { $0.keyIdentifier?.string })
        keys = (collection, kids)
        return (collection, kids)
    }

    // MARK: - Discovery

    private func discovered() async throws -> Discovery {
        if let discovery, ContinuousClock.now - discovery.fetched < Self.discoveryLifetime { return discovery.document }
        let url = settings.issuerURL + "/.well-known/openid-configuration"
        let reply = try await send(HTTPRequestSpec(method: .GET, url: url, headers: [("Accept", "application/json")]), what: "discovery document")
        guard reply.status == 200, let document = try? JSONDecoder().decode(Discovery.self, from: reply.body) else {
            throw SignInRefusal("\(name)'s discovery document \(url) answered \(reply.status): check tenant and login_url (or issuer_url) in [serve.auth]", forAdministrator: true)
        }
        switch settings.provider {
        case .entra:
            guard Self.tenantId(of: document.issuer) != nil, document.issuer.hasPrefix(Self.origin(of: settings.issuerURL) + "/") else {
                throw SignInRefusal("\(url) names the issuer \(document.issuer), not one tenant of \(Self.origin(of: settings.issuerURL))", forAdministrator: true)
            }
        case .google:
            guard document.issuer == settings.issuerURL else {
                throw SignInRefusal("\(url) names the issuer \(document.issuer), not \(settings.issuerURL)", forAdministrator: true)
            }
        }
        discovery = (document, .now)
        return document
    }

    /// `https://login.microsoftonline.com/{tenant id}/v2.0` → the tenant id.
    static func tenantId(of issuer: String) -> String? {
        let parts = issuer.split(separator: "/")
        guard parts.count >= 2, parts.last == "v2.0", let tenant = UUID(uuidString: String(parts[parts.count - 2])) else { return nil }
        return tenant.uuidString.lowercased()
    }

    private static func origin(of url: String) -> String {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else { return url }
        return "\(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "")"
    }

    private func send(_ spec: HTTPRequestSpec, what: String) async throws -> HTTPReply {
        do {
            return try await http.send(spec)
        } catch let error as TransportError {
            throw SignInRefusal("cannot reach \(name)'s \(what): \(error.description)", forAdministrator: true)
        }
    }

    /// The provider's `error` and the first line of its `error_description` (Entra's goes on
    /// with trace ids and timestamps).
    static func problem(in body: Data, status: Int) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let error = object["error"] as? String else {
            return "HTTP \(status)"
        }
        let description = (object["error_description"] as? String)?.split(whereSeparator: \.isNewline).first.map(String.init)
        return description.map { "\(error) — \($0)" } ?? error
    }
}
