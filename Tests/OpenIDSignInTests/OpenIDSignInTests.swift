import Foundation
import JWTKit
@testable import OpenIDSignIn
import PortraitCore
import PortraitHTTP
import Sandbox
import Testing

/// What an ID token must say, as a table: each row one claim wrong.
@Suite struct IDTokenCheckTests {
    static let tenant = "0a1b2c3d-0000-4000-8000-000000000001"
    static let issuer = "https://login.microsoftonline.com/\(tenant)/v2.0"
    static let client = "11111111-2222-4333-8444-555555555555"
    let entra = IDTokenCheck(issuer: issuer, clientId: client, provider: .entra(tenant: "contoso.test"), tenantId: tenant)
    let google = IDTokenCheck(issuer: OpenIDSettings.googleIssuer, clientId: "web.apps.googleusercontent.com",
                              provider: .google(hostedDomain: "example.com"), tenantId: nil)

    func entraClaims(_ change: (inout IDTokenClaims) -> Void = { _ in }) -> IDTokenClaims {
        var claims = IDTokenClaims(iss: Self.issuer, aud: [Self.client], exp: Date().addingTimeInterval(3600), iat: Date(), nbf: Date(),
                                   nonce: "n-1", sub: "s", preferredUsername: "Ada.Lovelace@example.com", name: "Ada Lovelace",
                                   tid: Self.tenant, groups: ["g1"])
        change(&claims)
        return claims
    }

    func googleClaims(_ change: (inout IDTokenClaims) -> Void = { _ in }) -> IDTokenClaims {
        var claims = IDTokenClaims(iss: "https://accounts.google.com", aud: ["web.apps.googleusercontent.com"], azp: "web.apps.googleusercontent.com",
                                   exp: Date().addingTimeInterval(3600), iat: Date(), nonce: "n-1", sub: "1", email: "grace.hopper@example.com",
                                   emailVerified: true, name: "Grace Hopper", hd: "example.com")
        change(&claims)
        return claims
    }

    @Test func aGoodTokenNamesTheAccount() throws {
        #expect(try entra.identity(entraClaims(), nonce: "n-1") == SignedInIdentity(mail: "ada.lovelace@example.com", displayName: "Ada Lovelace", groups: ["g1"]))
        #expect(try google.identity(googleClaims(), nonce: "n-1").mail == "grace.hopper@example.com")
        // Google's tokens may name the issuer without https://.
        #expect(try google.identity(googleClaims { $0.iss = "accounts.google.com" }, nonce: "n-1").hostedDomain == "example.com")
        // A clock a minute behind is no reason to refuse.
        #expect(throws: Never.self) { try entra.identity(entraClaims { $0.nbf = NotBeforeClaim(value: Date().addingTimeInterval(60)) }, nonce: "n-1") }
    }

    @Test func entraRefusesATokenWithOneClaimWrong() {
        let rows: [(String, (inout IDTokenClaims) -> Void)] = [
            ("issued by https://evil.example", { $0.iss = "https://evil.example/v2.0" }),
            ("issued to another app", { $0.aud = AudienceClaim(value: ["someone-else"]) }),
            ("several audiences", { $0.aud = AudienceClaim(value: [Self.client, "other"]) }),
            ("expired", { $0.exp = ExpirationClaim(value: Date().addingTimeInterval(-400)) }),
            ("not valid before", { $0.nbf = NotBeforeClaim(value: Date().addingTimeInterval(3600)) }),
            ("nonce differs", { $0.nonce = "n-2" }),
            ("nonce differs", { $0.nonce = nil }),
            ("another Microsoft tenant", { $0.tid = "9188040d-6c67-4c5b-b112-36a304b66dad" }),
            ("names no account", { $0.preferredUsername = nil }),
        ]
        for (reason, spoil) in rows {
            do {
                _ = try entra.identity(entraClaims(spoil), nonce: "n-1")
                Issue.record("accepted a token that should be refused: \(reason)")
            } catch {
                #expect((error as? SignInRefusal)?.reason.contains(reason) == true, "\(reason): \(error)")
            }
        }
    }

    @Test func googleRefusesUnverifiedMailAndOtherDomains() {
        for (spoil, reason) in [({ (c: inout IDTokenClaims) in c.emailVerified = false }, "no verified email"),
                                ({ c in c.hd = nil }, "is not an account of example.com"),
                                ({ c in c.hd = "gmail.com" }, "is not an account of example.com")] {
            #expect(throws: SignInRefusal.self) { try google.identity(googleClaims(spoil), nonce: "n-1") }
            #expect((try? google.identity(googleClaims(spoil), nonce: "n-1")) == nil, "\(reason)")
        }
        let anyDomain = IDTokenCheck(issuer: OpenIDSettings.googleIssuer, clientId: "web.apps.googleusercontent.com", provider: .google(hostedDomain: nil))
        #expect((try? anyDomain.identity(googleClaims { $0.hd = nil }, nonce: "n-1"))?.mail == "grace.hopper@example.com")
    }

    @Test func theTenantIdIsReadFromTheIssuer() {
        #expect(OpenIDClient.tenantId(of: Self.issuer) == Self.tenant)
        #expect(OpenIDClient.tenantId(of: "https://login.microsoftonline.com/{tenantid}/v2.0") == nil)
        #expect(OpenIDClient.tenantId(of: "https://accounts.google.com") == nil)
    }
}

/// The whole flow against the sandbox's identity providers, a browser's part played by HTTP
/// requests: the sign-in page, the code, its redemption, the ID token verified from the JWKS.
@Suite struct SandboxSignInTests {
    let http: HTTPService

    init() throws {
        http = try HTTPService()
    }

    func client(_ sandbox: Sandbox, google: Bool = false, secret: String? = nil, tenant: String? = nil, hostedDomain: String? = "example.com") throws -> OpenIDClient {
        let options = sandbox.options
        let settings = google
            ? OpenIDSettings(provider: .google(hostedDomain: hostedDomain), clientId: options.googleWebClientId,
                             clientSecret: Secret(secret ?? options.googleWebClientSecret!), issuerURL: sandbox.baseURL,
                             redirectURI: "http://127.0.0.1:8651/login/callback")
            : OpenIDSettings(provider: .entra(tenant: tenant ?? options.tenant), clientId: options.clientId,
                             clientSecret: Secret(secret ?? options.clientSecret!), issuerURL: "\(sandbox.baseURL)/\(tenant ?? options.tenant)/v2.0",
                             redirectURI: "http://127.0.0.1:8651/login/callback")
        return try OpenIDClient(settings: settings)
    }

    static func attempt() -> SignInAttempt {
        SignInAttempt(state: UUID().uuidString, nonce: UUID().uuidString, codeVerifier: String(repeating: "v", count: 20) + UUID().uuidString)
    }

    /// What a browser does at the provider: the sign-in page, then the form posted; the code
    /// from the redirect back to the console.
    func signIn(at url: String, as login: String, password: String = "sandbox", state: String) async throws -> String {
        let page = try await http.send(HTTPRequestSpec(method: .GET, url: url))
        #expect(page.status == 200, "\(String(decoding: page.body, as: UTF8.self))")
        let endpoint = String(url.prefix { $0 != "?" })
        let query = String(url.drop { $0 != "?" }.dropFirst())
        let form = query + "&" + URLEncoding.form([("login", login), ("password", password)])
        let answer = try await http.send(HTTPRequestSpec(method: .POST, url: endpoint, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                         body: Data(form.utf8)))
        #expect(answer.status == 302, "\(String(decoding: answer.body, as: UTF8.self))")
        let location = try #require(answer.headers.first(name: "Location"))
        let back = try #require(URLComponents(string: location))
        #expect(back.path == "/login/callback")
        #expect(back.queryItems?.first { $0.name == "state" }?.value == state)
        return try #require(back.queryItems?.first { $0.name == "code" }?.value)
    }

    func withSandbox(_ body: (Sandbox) async throws -> Void) async throws {
        var options = SandboxOptions()
        options.users = 6
        options.photoFraction = 0
        try await Sandbox.run(options, body)
    }

    func refusal(_ body: () async throws -> SignedInIdentity) async -> SignInRefusal? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error as? SignInRefusal
        }
    }

    @Test func anApproverSignsInThroughEntraWithTheirGroups() async throws {
        try await withSandbox { sandbox in
            let entra = try client(sandbox)
            let attempt = Self.attempt()
            let url = try await entra.signInURL(for: attempt)
            #expect(url.contains("code_challenge_method=S256") && !url.contains(attempt.codeVerifier), "\(url)")
            let mail = SamplePeople.mail(0, domain: "example.com")
            let code = try await signIn(at: url, as: mail.uppercased(), state: attempt.state)
            let who = try await entra.identity(code: code, attempt: attempt)
            #expect(who.mail == mail)
            #expect(who.groups == [SandboxOptions.approversGroup])
            #expect(who.displayName == "Ada Lovelace")

            // The same code again: Entra's AADSTS54005.
            let replay = await refusal { try await entra.identity(code: code, attempt: attempt) }
            #expect(replay?.reason.contains("AADSTS54005") == true, "\(String(describing: replay))")
            #expect(replay?.reason.contains(code) == false)
        }
    }

    @Test func aCodeIsWorthlessWithoutItsVerifier() async throws {
        try await withSandbox { sandbox in
            let entra = try client(sandbox)
            let attempt = Self.attempt()
            let code = try await signIn(at: try await entra.signInURL(for: attempt), as: SamplePeople.mail(2, domain: "example.com"), state: attempt.state)
            var stolen = attempt
            stolen.codeVerifier = Self.attempt().codeVerifier
            let refused = await refusal { try await entra.identity(code: code, attempt: stolen) }
            #expect(refused?.reason.contains("AADSTS501481") == true, "\(String(describing: refused))")
        }
    }

    @Test func wrongPasswordStaysOnTheProvidersPage() async throws {
        try await withSandbox { sandbox in
            let url = try await client(sandbox).signInURL(for: Self.attempt())
            let endpoint = String(url.prefix { $0 != "?" })
            let form = String(url.drop { $0 != "?" }.dropFirst()) + "&login=ada.lovelace%40example.com&password=guess"
            let answer = try await http.send(HTTPRequestSpec(method: .POST, url: endpoint, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(form.utf8)))
            #expect(answer.status == 401)
            #expect(String(decoding: answer.body, as: UTF8.self).contains("AADSTS50126"))
        }
    }

    @Test(arguments: [
        (IDTokenFlaw.expired, "expired"), (.otherAudience, "issued to another app"), (.otherIssuer, "was issued by https://login.microsoftonline.com"),
        (.otherTenant, "another Microsoft tenant"), (.otherNonce, "nonce differs"), (.unpublishedKey, "does not publish"),
        (.alteredClaims, "forged or altered"), (.unsigned, "not RS256"),
    ])
    func aSpoiledIDTokenIsRefused(_ flaw: IDTokenFlaw, _ reason: String) async throws {
        try await withSandbox { sandbox in
            let entra = try client(sandbox)
            let attempt = Self.attempt()
            let code = try await signIn(at: try await entra.signInURL(for: attempt), as: SamplePeople.mail(1, domain: "example.com"), state: attempt.state)
            await sandbox.entraSignIn.spoilNextIDToken(flaw)
            let refused = await refusal { try await entra.identity(code: code, attempt: attempt) }
            #expect(refused?.reason.contains(reason) == true, "\(flaw): \(String(describing: refused))")
            #expect(refused?.forAdministrator == false)
        }
    }

    @Test func aRotatedKeyIsFetchedNotGuessed() async throws {
        try await withSandbox { sandbox in
            let entra = try client(sandbox)
            for round in 0..<3 {
                if round == 2 { try await sandbox.entraSignIn.rotateKey() }
                let attempt = Self.attempt()
                let code = try await signIn(at: try await entra.signInURL(for: attempt), as: SamplePeople.mail(round, domain: "example.com"), state: attempt.state)
                #expect(try await entra.identity(code: code, attempt: attempt).mail == SamplePeople.mail(round, domain: "example.com"))
            }
            // Fetched once, then again only for the new key's id.
            #expect(await sandbox.entraSignIn.stats().keySetsServed == 2)
        }
    }

    @Test func googleChecksTheHostedDomain() async throws {
        try await withSandbox { sandbox in
            let google = try client(sandbox, google: true)
            let attempt = Self.attempt()
            let url = try await google.signInURL(for: attempt)
            #expect(url.contains("hd=example.com"))
            let mail = SamplePeople.mail(3, domain: "example.com")
            let code = try await signIn(at: url, as: mail, state: attempt.state)
            let who = try await google.identity(code: code, attempt: attempt)
            #expect(who.mail == mail && who.hostedDomain == "example.com" && who.groups.isEmpty)

            let next = Self.attempt()
            let other = try await signIn(at: try await google.signInURL(for: next), as: mail, state: next.state)
            await sandbox.googleSignIn.spoilNextIDToken(.otherDomain)
            let refused = await refusal { try await google.identity(code: other, attempt: next) }
            #expect(refused?.reason.contains("is not an account of example.com") == true, "\(String(describing: refused))")
        }
    }

    @Test func aWrongSecretOrTenantSaysWhat() async throws {
        try await withSandbox { sandbox in
            let attempt = Self.attempt()
            let wrong = try client(sandbox, secret: "not-the-secret")
            let code = try await signIn(at: try await wrong.signInURL(for: attempt), as: SamplePeople.mail(0, domain: "example.com"), state: attempt.state)
            let refused = await refusal { try await wrong.identity(code: code, attempt: attempt) }
            #expect(refused?.reason.contains("invalid_client — AADSTS7000215") == true, "\(String(describing: refused))")
            #expect(refused?.reason.contains("not-the-secret") == false)

            let nowhere = try client(sandbox, tenant: "fabrikam.test")
            do {
                _ = try await nowhere.signInURL(for: attempt)
                Issue.record("an unknown tenant's discovery document was found")
            } catch let refusal as SignInRefusal {
                #expect(refusal.forAdministrator && refusal.reason.contains("check tenant"), "\(refusal)")
            }
        }
    }
}
