import Crypto
import CryptoExtras
import Foundation
import NIOHTTP1
import PortraitCore

/// People signing in to an app through the emulated Entra tenant or Google domain: OpenID
/// Connect's authorization code flow — discovery, the authorize endpoint with a sign-in page,
/// the token endpoint's `authorization_code` grant (client secret, PKCE, codes used once and
/// for ten minutes, the redirect URI as registered) and the signing keys (JWKS), with each
/// provider's error answers. Every seeded person signs in with `SandboxOptions.signInPassword`;
/// the first `consoleApprovers` are in the approvers group, the next `consoleViewers` in the
/// viewers group (Entra's `groups` claim).
actor OpenIDProvider {
    enum Flavour: Sendable {
        case entra, google
    }

    struct Person: Sendable {
        var mail: String
        var name: String
        var objectId: String
        var groups: [String]
        var suspended: Bool
    }

    private struct Code {
        var clientId: String
        var redirectURI: String
        var nonce: String?
        var challenge: String?
        var challengeMethod: String
        var person: Int
        var issued: Date
        var redeemed = false
    }

    private struct SigningKey {
        var kid: String
        var key: _RSA.Signing.PrivateKey
    }

    let flavour: Flavour
    private let options: SandboxOptions
    private let people: [Person]
    private let byMail: [String: Int]
    /// Published keys, the newest last; tokens are signed with the newest.
    private var keys: [SigningKey]
    private var codes: [String: Code] = [:]
    private var flaw: IDTokenFlaw?
    private(set) var stats = SignInStats()

    /// Entra's and Google's codes are good for ten minutes.
    static let codeLifetime: TimeInterval = 600

    init(_ flavour: Flavour, options: SandboxOptions) throws {
        self.flavour = flavour
        self.options = options
        var people: [Person] = []
        for index in 0..<options.users {
            let mail = SamplePeople.mail(index, domain: options.mailDomain)
            var groups: [String] = []
            if index < options.consoleApprovers { groups.append(SandboxOptions.approversGroup) }
            else if index < options.consoleApprovers + options.consoleViewers { groups.append(SandboxOptions.viewersGroup) }
            people.append(Person(mail: mail, name: Self.displayName(mail), objectId: GraphTenant.objectId(index), groups: groups,
                                 suspended: flavour == .google && options.googleSuspended.contains(mail)))
        }
        if flavour == .entra {
            for (offset, extra) in options.extraUsers.enumerated() {
                people.append(Person(mail: extra.userPrincipalName, name: Self.displayName(extra.userPrincipalName),
                                     objectId: GraphTenant.objectId(options.users + offset), groups: [], suspended: false))
            }
        }
        self.people = people
        byMail = Dictionary(people.enumerated().map { ($1.mail.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        keys = [try Self.newKey()]
    }

    /// "ada.lovelace20@example.com" → "Ada Lovelace".
    static func displayName(_ mail: String) -> String {
        mail.split(separator: "@")[0].split(separator: ".")
            .map { $0.filter(\.isLetter).capitalized }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    private static func newKey() throws -> SigningKey {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return SigningKey(kid: Base64URL.encode(Data(SHA256.hash(data: key.publicKey.derRepresentation)).prefix(20)), key: key)
    }

    // MARK: - What tests do from outside

    /// A new signing key, published beside the old one, signs from now on — as providers rotate.
    func rotateKey() async throws {
        let key = try await offload { try Self.newKey() }
        keys = Array(keys.suffix(1)) + [key]
    }

    /// The next ID token issued is spoiled this way.
    func spoilNextIDToken(_ flaw: IDTokenFlaw) {
        self.flaw = flaw
    }

    // MARK: - Routes

    /// The provider's endpoints; nil for any other request.
    func route(_ request: SandboxRequest) -> SandboxResponse? {
        let segments = request.path.split(separator: "/").map(String.init)
        switch flavour {
        case .entra:
            guard segments.count >= 3 else { return nil }
            let tenant = segments[0]
            let rest = segments.dropFirst().joined(separator: "/")
            let known = tenant == options.tenant || tenant == options.tenantId
            switch (request.method, rest) {
            case (.GET, "v2.0/.well-known/openid-configuration"):
                return known ? count(.json(.ok, discovery(base: request.base))) : entraFailure(400, "invalid_tenant", 90002, "Tenant '\(tenant)' not found.")
            case (.GET, "discovery/v2.0/keys"):
                return known ? jwks() : entraFailure(400, "invalid_tenant", 90002, "Tenant '\(tenant)' not found.")
            case (.GET, "oauth2/v2.0/authorize"), (.POST, "oauth2/v2.0/authorize"):
                return known ? authorize(request) : page(.badRequest, "AADSTS90002: Tenant '\(tenant)' not found.")
            case (.POST, "oauth2/v2.0/token") where request.formFields["grant_type"] == "authorization_code":
                return known ? redeem(request) : entraFailure(400, "invalid_request", 90002, "Tenant '\(tenant)' not found.")
            default:
                return nil
            }
        case .google:
            switch (request.method, request.path) {
            case (.GET, "/.well-known/openid-configuration"): return count(.json(.ok, discovery(base: request.base)))
            case (.GET, "/oauth2/v3/certs"): return jwks()
            case (.GET, "/o/oauth2/v2/auth"), (.POST, "/o/oauth2/v2/auth"): return authorize(request)
            case (.POST, "/token") where request.formFields["grant_type"] == "authorization_code": return redeem(request)
            default: return nil
            }
        }
    }

    private var clientId: String { flavour == .entra ? options.clientId : options.googleWebClientId }
    private var clientSecret: String? { flavour == .entra ? options.clientSecret : options.googleWebClientSecret }

    private func issuer(base: String) -> String { flavour == .entra ? "\(base)/\(options.tenantId)/v2.0" : base }

    private func discovery(base: String) -> [String: Any] {
        switch flavour {
        case .entra:
            let root = "\(base)/\(options.tenantId)"
            return [
                "issuer": issuer(base: base), "authorization_endpoint": "\(root)/oauth2/v2.0/authorize",
                "token_endpoint": "\(root)/oauth2/v2.0/token", "jwks_uri": "\(root)/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "response_modes_supported": ["query", "fragment", "form_post"], "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid", "ver", "email"],
            ]
        case .google:
            return [
                "issuer": base, "authorization_endpoint": "\(base)/o/oauth2/v2/auth", "token_endpoint": "\(base)/token",
                "jwks_uri": "\(base)/oauth2/v3/certs", "response_types_supported": ["code", "token", "id_token", "code id_token"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"], "code_challenge_methods_supported": ["plain", "S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "claims_supported": ["aud", "email", "email_verified", "exp", "hd", "iat", "iss", "name", "nonce", "sub"],
            ]
        }
    }

    private func jwks() -> SandboxResponse {
        stats.keySetsServed += 1
        let published: [[String: Any]] = keys.map { signing in
            let primitives = try? signing.key.publicKey.getKeyPrimitives()
            var jwk: [String: Any] = ["kty": "RSA", "use": "sig", "kid": signing.kid,
                                      "n": Base64URL.encode(primitives?.modulus ?? Data()), "e": Base64URL.encode(primitives?.publicExponent ?? Data())]
            if flavour == .google { jwk["alg"] = "RS256" }
            return jwk
        }
        return count(.json(.ok, ["keys": published]))
    }

    // MARK: - Authorize: the sign-in page

    private func authorize(_ request: SandboxRequest) -> SandboxResponse {
        var fields = request.method == .POST ? request.formFields : request.query
        let login = fields.removeValue(forKey: "login")
        let password = fields.removeValue(forKey: "password")
        guard fields["client_id"] == clientId else {
            return page(.badRequest, flavour == .entra
                ? "AADSTS700016: Application with identifier '\(fields["client_id"] ?? "")' was not found in the directory '\(options.tenant)'."
                : "Error 401: invalid_client. The OAuth client was not found.")
        }
        guard let callback = fields["redirect_uri"], Self.registered(callback, in: options.signInRedirectURIs) else {
            return page(.badRequest, flavour == .entra
                ? "AADSTS50011: The redirect URI '\(fields["redirect_uri"] ?? "")' specified in the request does not match the redirect URIs configured for the application '\(clientId)'."
                : "Error 400: redirect_uri_mismatch. You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.")
        }
        // From here on, problems go back to the app, as the protocol says.
        func back(_ error: String, _ description: String) -> SandboxResponse {
            redirect(to: callback, [("error", error), ("error_description", description), ("state", fields["state"] ?? "")])
        }
        guard fields["response_type"] == "code" else {
            return back("unsupported_response_type", flavour == .entra ? "AADSTS700054: response_type '\(fields["response_type"] ?? "")' is not enabled for the application." : "Invalid response_type.")
        }
        guard (fields["scope"] ?? "").split(separator: " ").contains("openid") else {
            return back("invalid_scope", flavour == .entra ? "AADSTS650053: The scope must include openid to sign a user in." : "Missing openid scope.")
        }
        let method = fields["code_challenge_method"] ?? "plain"
        if fields["code_challenge"] != nil, !["S256", "plain"].contains(method) {
            return back("invalid_request", flavour == .entra ? "AADSTS5002738: Invalid code_challenge_method." : "Invalid code_challenge_method.")
        }
        guard request.method == .POST, let login else { return signInPage(fields, problem: nil) }
        guard let index = byMail[login.trimmingCharacters(in: .whitespaces).lowercased()], let password,
              ConstantTime.equal(password, options.signInPassword) else {
            return signInPage(fields, problem: flavour == .entra
                ? "AADSTS50126: Error validating credentials due to invalid username or password." : "Wrong password. Try again.")
        }
        guard !people[index].suspended else {
            return signInPage(fields, problem: "This account has been disabled.")
        }
        let code = Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: .min ... .max) }))
        codes[code] = Code(clientId: clientId, redirectURI: callback, nonce: fields["nonce"], challenge: fields["code_challenge"],
                           challengeMethod: method, person: index, issued: Date())
        stats.signIns += 1
        var answer = [("code", code)]
        if let state = fields["state"] { answer.append(("state", state)) }
        answer.append(flavour == .entra ? ("session_state", UUID().uuidString.lowercased()) : ("scope", "email profile openid"))
        return redirect(to: callback, answer)
    }

    /// Registered redirect URIs match exactly, except that a loopback one matches any port (as
    /// Entra and Google treat `http://localhost` and `http://127.0.0.1`).
    static func registered(_ uri: String, in list: [String]) -> Bool {
        if list.contains(uri) { return true }
        guard var parts = URLComponents(string: uri), let host = parts.host, Loopback.isLoopback(host: host) else { return false }
        parts.port = nil
        return parts.string.map(list.contains) ?? false
    }

    private func signInPage(_ fields: [String: String], problem: String?) -> SandboxResponse {
        let hidden = fields.sorted { $0.key < $1.key }
            .map { "<input type=\"hidden\" name=\"\(Self.escape($0.key))\" value=\"\(Self.escape($0.value))\">" }.joined(separator: "\n")
        let home = flavour == .entra ? "Microsoft — \(options.tenant)" : "Google — \(options.mailDomain)"
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Sign in · \(Self.escape(home)) (Portrait sandbox)</title></head>
            <body style="font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto">
            <h1>Sign in</h1><p>\(Self.escape(home)), emulated by <code>portrait sandbox</code>. Every seeded person signs in with the password <code>\(Self.escape(options.signInPassword))</code>.</p>
            \(problem.map { "<p id=\"problem\" role=\"alert\" style=\"color:#c62828\">\(Self.escape($0))</p>" } ?? "")
            <form method="post" style="display:grid;gap:.4rem">
            \(hidden)
            <label for="login">Email</label><input id="login" name="login" autocomplete="username" required autofocus>
            <label for="password">Password</label><input id="password" name="password" type="password" required>
            <button id="submit" type="submit">Sign in</button>
            </form></body></html>
            """
        return count(SandboxResponse(status: problem == nil ? .ok : .unauthorized, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                                     body: Data(html.utf8)))
    }

    // MARK: - Token: the code redeemed for an ID token

    private func redeem(_ request: SandboxRequest) -> SandboxResponse {
        stats.tokenRequests += 1
        let form = request.formFields
        guard form["client_id"] == clientId else {
            return flavour == .entra
                ? entraFailure(400, "unauthorized_client", 700016, "Application with identifier '\(form["client_id"] ?? "")' was not found in the directory '\(options.tenant)'.")
                : googleFailure(401, "invalid_client", "The OAuth client was not found.")
        }
        guard let secret = form["client_secret"], let expected = clientSecret, ConstantTime.equal(secret, expected) else {
            return flavour == .entra
                ? entraFailure(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
                : googleFailure(401, "invalid_client", "Unauthorized")
        }
        guard let given = form["code"], !given.isEmpty else {
            return flavour == .entra
                ? entraFailure(400, "invalid_request", 900144, "The request body must contain the following parameter: 'code'.")
                : googleFailure(400, "invalid_request", "Missing required parameter: code")
        }
        guard var code = codes[given], code.clientId == clientId else {
            return flavour == .entra
                ? entraFailure(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
                : googleFailure(400, "invalid_grant", "Malformed auth code.")
        }
        guard !code.redeemed else {
            return flavour == .entra
                ? entraFailure(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
                : googleFailure(400, "invalid_grant", "Bad Request")
        }
        code.redeemed = true
        codes[given] = code
        guard Date().timeIntervalSince(code.issued) < Self.codeLifetime else {
            return flavour == .entra
                ? entraFailure(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
                : googleFailure(400, "invalid_grant", "Bad Request")
        }
        guard form["redirect_uri"] == code.redirectURI else {
            return flavour == .entra
                ? entraFailure(400, "invalid_grant", 500112, "The reply address '\(form["redirect_uri"] ?? "")' does not match the reply address '\(code.redirectURI)' provided when requesting Authorization code.")
                : googleFailure(400, "redirect_uri_mismatch", "Bad Request")
        }
        if let challenge = code.challenge {
            guard let verifier = form["code_verifier"] else {
                return flavour == .entra
                    ? entraFailure(400, "invalid_grant", 50148, "The code_verifier must be provided when a code_challenge was supplied in the authorization request for PKCE.")
                    : googleFailure(400, "invalid_grant", "Missing code verifier.")
            }
            let derived = code.challengeMethod == "S256" ? Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8)))) : verifier
            guard ConstantTime.equal(derived, challenge) else {
                return flavour == .entra
                    ? entraFailure(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
                    : googleFailure(400, "invalid_grant", "Invalid code verifier.")
            }
        }
        stats.idTokensIssued += 1
        let idToken = mint(person: people[code.person], nonce: code.nonce, base: request.base)
        let access = Base64URL.encode(Data((0..<24).map { _ in UInt8.random(in: .min ... .max) }))
        return count(.json(.ok, flavour == .entra
            ? ["token_type": "Bearer", "scope": "openid profile email", "expires_in": options.tokenLifetime, "ext_expires_in": options.tokenLifetime,
               "access_token": access, "id_token": idToken]
            : ["token_type": "Bearer", "scope": "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
               "expires_in": options.tokenLifetime - 1, "access_token": access, "id_token": idToken]))
    }

    /// An ID token for `person`, as the provider signs it — unless a test asked for a flaw.
    private func mint(person: Person, nonce: String?, base: String) -> String {
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: Any] = ["iss": issuer(base: base), "aud": clientId, "iat": now, "exp": now + options.tokenLifetime, "name": person.name]
        if let nonce { claims["nonce"] = nonce }
        switch flavour {
        case .entra:
            claims["nbf"] = now
            claims["oid"] = person.objectId
            claims["sub"] = Base64URL.encode(Data(SHA256.hash(data: Data((person.objectId + clientId).utf8))).prefix(32))
            claims["tid"] = options.tenantId
            claims["preferred_username"] = person.mail
            claims["ver"] = "2.0"
            if !person.groups.isEmpty { claims["groups"] = person.groups }
        case .google:
            claims["azp"] = clientId
            claims["sub"] = GoogleDomain.userId(byMail[person.mail.lowercased()] ?? 0)
            claims["email"] = person.mail
            claims["email_verified"] = true
            claims["hd"] = options.mailDomain
        }
        var kid = keys.last!.kid
        var key = keys.last!.key
        var alg = "RS256"
        switch flaw {
        case nil: break
        case .expired: (claims["iat"], claims["nbf"], claims["exp"]) = (now - 7200, now - 7200, now - 3600)
        case .otherAudience: claims["aud"] = "00000000-0000-4000-8000-00000000beef"
        case .otherIssuer: claims["iss"] = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        case .otherTenant: claims["tid"] = "9188040d-6c67-4c5b-b112-36a304b66dad"
        case .otherNonce: claims["nonce"] = "a-nonce-of-another-sign-in"
        case .otherDomain: claims["hd"] = "elsewhere.example"
        case .unpublishedKey:
            if let rogue = try? Self.newKey() { (kid, key) = (rogue.kid, rogue.key) }
        case .alteredClaims: break
        case .unsigned: alg = "none"
        }
        let header = ["alg": alg, "kid": kid, "typ": "JWT"]
        func part(_ object: Any) -> String {
            Base64URL.encode((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
        }
        let input = part(header) + "." + part(claims)
        let signature = alg == "none" ? Data() : ((try? key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5))?.rawRepresentation ?? Data())
        if flaw == .alteredClaims {
            // Signed as issued, then the name changed on the way: the signature no longer fits.
            claims["preferred_username"] = people.first?.mail
            claims["email"] = people.first?.mail
            let altered = part(header) + "." + part(claims)
            flaw = nil
            return altered + "." + Base64URL.encode(signature)
        }
        flaw = nil
        return input + "." + Base64URL.encode(signature)
    }

    // MARK: - Answers

    private func redirect(to uri: String, _ fields: [(String, String)]) -> SandboxResponse {
        let query = fields.map { "\($0.0)=\(Self.formEscape($0.1))" }.joined(separator: "&")
        return count(SandboxResponse(status: .found, headers: [("Location", uri + (uri.contains("?") ? "&" : "?") + query), ("Cache-Control", "no-store")]))
    }

    private func page(_ status: HTTPResponseStatus, _ text: String) -> SandboxResponse {
        let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p id=\"problem\">\(Self.escape(text))</p></body></html>"
        return count(SandboxResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Data(html.utf8)))
    }

    private func entraFailure(_ status: Int, _ error: String, _ code: Int, _ description: String) -> SandboxResponse {
        stats.refused += 1
        return count(.json(.init(statusCode: status), [
            "error": error, "error_description": "AADSTS\(code): \(description)\r\nTrace ID: \(UUID().uuidString)\r\nTimestamp: \(Date())",
            "error_codes": [code],
        ]))
    }

    private func googleFailure(_ status: Int, _ error: String, _ description: String) -> SandboxResponse {
        stats.refused += 1
        return count(.json(.init(statusCode: status), ["error": error, "error_description": description]))
    }

    private func count(_ response: SandboxResponse) -> SandboxResponse {
        stats.requests += 1
        return response
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    private static func formEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}

/// How a test spoils the next ID token the sandbox issues, to see the console refuse it.
public enum IDTokenFlaw: Sendable, Equatable {
    case expired, otherAudience, otherIssuer, otherTenant, otherNonce, otherDomain
    /// Signed with a key the provider does not publish.
    case unpublishedKey
    /// A claim changed after signing.
    case alteredClaims
    /// `alg: none`, no signature.
    case unsigned
}

/// What the sign-in endpoints did.
public struct SignInStats: Sendable, Codable, Equatable {
    public var requests = 0
    public var signIns = 0
    public var tokenRequests = 0
    public var idTokensIssued = 0
    public var keySetsServed = 0
    public var refused = 0
}
