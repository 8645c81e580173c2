import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PortraitConsole
import PortraitCore
import PortraitEngine
import PortraitStore
import Testing

/// An identity provider that vouches for whoever its code names, and refuses codes it does
/// not know: the console's side of the sign-in without a provider's HTTP.
struct CodeBook: IdentityProvider {
    let name = "Microsoft"
    let people: [String: SignedInIdentity]

    func signInURL(for attempt: SignInAttempt) async throws -> String {
        "https://login.example/authorize?state=\(attempt.state)&nonce=\(attempt.nonce)"
    }

    func identity(code: String, attempt: SignInAttempt) async throws -> SignedInIdentity {
        if code == "code-of-a-misconfigured-app" {
            throw SignInRefusal("Microsoft refused to complete the sign-in: invalid_client — AADSTS7000215: Invalid client secret provided.", forAdministrator: true)
        }
        guard let person = people[code] else { throw SignInRefusal("Microsoft refused to complete the sign-in: invalid_grant — AADSTS54005: code already redeemed") }
        return person
    }
}

/// Signing in through the organisation's identity provider: the console's state, the cookie
/// that ties it to one browser, the roles `[serve.auth]` gives.
@Suite struct ProviderSignInRouteTests {
    let store: Store
    let access = ConsoleAccess(approvers: [.group("approvers-group"), .account("hr.anna@example.com")], viewers: [.domain("example.com")])
    let provider = CodeBook(people: [
        "code-anna": SignedInIdentity(mail: "HR.Anna@example.com"),
        "code-grace": SignedInIdentity(mail: "grace@example.com", groups: ["approvers-group"]),
        "code-bob": SignedInIdentity(mail: "bob@example.com"),
        "code-eve": SignedInIdentity(mail: "eve@elsewhere.example"),
    ])

    init() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-oidc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(path: folder.appendingPathComponent("portrait.db").path)
    }

    func app() throws -> some ApplicationProtocol {
        try Console(store: store, settings: ConsoleSettings(), policy: nil, scheduler: nil, signIn: .provider(provider, access),
                    logger: Logger(label: "test")).application()
    }

    /// `/login/start`: where the browser is sent, the state, and the browser's cookie.
    func start(_ client: some TestClientProtocol, next: String = "%2F") async throws -> (state: String, cookie: String) {
        try await client.execute(uri: "/login/start?next=\(next)", method: .get) { response in
            #expect(response.status == .seeOther)
            let location = try #require(response.headers[.location])
            #expect(location.hasPrefix("https://login.example/authorize?"))
            let state = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "state" }?.value)
            let cookie = try #require(response.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/login"))
            return (state, String(try #require(cookie.split(separator: ";").first)))
        }
    }

    func callback(_ client: some TestClientProtocol, _ query: String, cookie: String?) async throws -> (HTTPResponse.Status, location: String?, session: String?, page: String) {
        try await client.execute(uri: "/login/callback?\(query)", method: .get, headers: cookie.map { [.cookie: $0] } ?? [:]) { response in
            let session = response.headers[values: .setCookie].first { $0.hasPrefix("portrait_session=") && !$0.contains("Max-Age=0") }
            return (response.status, response.headers[.location], session.flatMap { $0.split(separator: ";").first.map(String.init) }, String(buffer: response.body))
        }
    }

    @Test func theSignInPageSendsPeopleToTheProvider() async throws {
        try await app().test(.router) { client in
            let page = try await client.execute(uri: "/login?next=%2Fpeople", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("Sign in with Microsoft"))
            #expect(page.contains("href=\"/login/start?next=%2Fpeople\""))
            #expect(!page.contains("type=\"password\""))
            // No password sign-in beside the provider.
            try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: "name=hr.anna&password=x")) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func anApproverSignsInAndDecisionsCarryTheirName() async throws {
        let person = try await store.saveJoin([JoinedPerson(id: nil, keys: MatchKeys(mail: "ada@example.com"), newLinks: [])])[0]
        let waiting = try await store.savePhoto(Data("waiting".utf8), width: 400, height: 400, fingerprint: "bb")
        let event = PhotoEvent(personId: person, system: "gws", accountId: "1", personLabel: "ada@example.com", runId: nil, detail: nil)
        try await store.queue(waiting.sha256, source: "gws", firstSeen: Date(), reason: "a self-service change", event: event)
        try await app().test(.router) { client in
            let (state, cookie) = try await start(client, next: "%2Fqueue")
            let (status, location, session, _) = try await callback(client, "code=code-anna&state=\(state)", cookie: cookie)
            #expect(status == .seeOther && location == "/queue")
            let signedIn = try #require(session)
            let page = try await client.execute(uri: "/queue", method: .get, headers: [.cookie: signedIn]) { String(buffer: $0.body) }
            #expect(page.contains("hr.anna@example.com"))
            let csrf = try #require(ConsoleRouteTests.csrf(in: page))
            try await client.execute(uri: "/queue/decide", method: .post, headers: [.cookie: signedIn],
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved")) { #expect($0.status == .seeOther) }

            // The state was used: the same answer again is refused, and signs nobody in.
            let again = try await callback(client, "code=code-anna&state=\(state)", cookie: cookie)
            #expect(again.0 == .badRequest && again.session == nil)
            #expect(again.page.contains("unknown or was finished already"))
            // Reloaded by someone signed in: back to the console, nothing refused.
            let reloaded = try await callback(client, "code=code-anna&state=\(state)", cookie: "\(cookie); \(signedIn)")
            #expect(reloaded.0 == .seeOther && reloaded.location == "/")
        }
        let audit = try await store.auditEntries(person: person)
        #expect(audit.contains { $0.action == .approved && ($0.detail ?? "").contains("by hr.anna@example.com") })
    }

    @Test func aSignInFinishesOnlyInTheBrowserThatStartedIt() async throws {
        try await app().test(.router) { client in
            let (state, _) = try await start(client)
            let elsewhere = try await callback(client, "code=code-anna&state=\(state)", cookie: "portrait_signin=someone-elses-cookie-value-of-forty-chars")
            #expect(elsewhere.0 == .badRequest && elsewhere.session == nil)
            #expect(elsewhere.page.contains("started in another browser"))
            let none = try await callback(client, "code=code-anna&state=not-a-state", cookie: nil)
            #expect(none.0 == .badRequest && none.session == nil)

            // A link with a made-up state does not cancel a sign-in in progress.
            let (started, cookie) = try await start(client)
            let junk = try await client.execute(uri: "/login/callback?state=junk", method: .get, headers: [.cookie: cookie]) { $0.headers[values: .setCookie] }
            #expect(junk.isEmpty)
            let finished = try await callback(client, "code=code-anna&state=\(started)", cookie: cookie)
            #expect(finished.0 == .seeOther && finished.session != nil)
        }
    }

    @Test func theAppsOwnMisconfigurationIsTheAdministratorsAndLocksNobodyOut() async throws {
        try await app().test(.router) { client in
            for _ in 0..<6 {
                let attempt = try await start(client)
                let refused = try await callback(client, "code=code-of-a-misconfigured-app&state=\(attempt.state)", cookie: attempt.cookie)
                #expect(refused.0 == .badGateway && refused.session == nil)
                #expect(refused.page.contains("Tell the console&#39;s administrator") || refused.page.contains("Tell the console's administrator"), "\(refused.page)")
                #expect(!refused.page.contains(".."))
            }
            // People's own failures do lock the address, and the sign-in page says so at once.
            for _ in 0..<5 {
                _ = try await callback(client, "code=code-eve&state=\(try await start(client).state)", cookie: nil)
            }
            try await client.execute(uri: "/login/start?next=%2F", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(String(buffer: response.body).contains("Too many failed sign-ins from this computer"))
            }
        }
    }

    @Test func rolesComeFromTheAccessLists() async throws {
        try await app().test(.router) { client in
            // Grace by her group: an approver.
            let grace = try await start(client)
            let approver = try #require(try await callback(client, "code=code-grace&state=\(grace.state)", cookie: grace.cookie).session)
            let queue = try await client.execute(uri: "/queue", method: .get, headers: [.cookie: approver]) { String(buffer: $0.body) }
            #expect(queue.contains("grace@example.com"))
            // Bob by the domain: a viewer, who may not start a sync.
            let bob = try await start(client)
            let viewer = try #require(try await callback(client, "code=code-bob&state=\(bob.state)", cookie: bob.cookie).session)
            let runs = try await client.execute(uri: "/runs", method: .get, headers: [.cookie: viewer]) { String(buffer: $0.body) }
            let csrf = try #require(ConsoleRouteTests.csrf(in: runs))
            try await client.execute(uri: "/runs/sync", method: .post, headers: [.cookie: viewer], body: ByteBuffer(string: "csrf=\(csrf)")) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("adding you to approvers in [serve.auth]"))
            }
            // Eve is on neither list.
            let eve = try await start(client)
            let refused = try await callback(client, "code=code-eve&state=\(eve.state)", cookie: eve.cookie)
            #expect(refused.0 == .forbidden && refused.session == nil)
            #expect(refused.page.contains("eve@elsewhere.example may not use this console"))
        }
    }

    @Test func theProvidersRefusalIsShownAndSignsNobodyIn() async throws {
        try await app().test(.router) { client in
            let denied = try await start(client)
            let cancelled = try await callback(client, "error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent.%0D%0ATrace+ID%3A+x&state=\(denied.state)",
                                               cookie: denied.cookie)
            #expect(cancelled.0 == .unauthorized && cancelled.session == nil)
            #expect(cancelled.page.contains("Microsoft did not sign you in (access_denied: AADSTS65004: User declined to consent.)"))
            #expect(!cancelled.page.contains("Trace ID"))

            let replayed = try await start(client)
            let refused = try await callback(client, "code=used-code&state=\(replayed.state)", cookie: replayed.cookie)
            #expect(refused.0 == .unauthorized && refused.session == nil)
            #expect(refused.page.contains("AADSTS54005"))
            #expect(!refused.page.contains("used-code"))
        }
        #expect(try await store.consoleUsers().isEmpty)
    }
}
