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

/// The console's routes through Hummingbird's in-process test client: who may see and do what,
/// the form token, sessions in the store, photos only by hash.
@Suite struct ConsoleRouteTests {
    static let password = "correct horse battery"

    let folder: URL
    let store: Store
    /// The waiting person's id, and their waiting and approved photos' hashes.
    var person: Int64 = 0
    var waitingSHA = ""
    var approvedSHA = ""

    init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(path: folder.appendingPathComponent("portrait.db").path)
        // A low bcrypt cost keeps the tests quick; verifying reads the cost from the hash.
        for (name, role) in [("hr.anna", "approver"), ("it.bob", "viewer")] {
            _ = try await store.addConsoleUser(name: name, passwordHash: LocalAccounts.hash(Self.password, cost: 4), role: role)
        }
        // A name no page may show unescaped.
        person = try await store.saveJoin([JoinedPerson(id: nil, keys: MatchKeys(employeeId: "<script>alert(1)</script>"), newLinks: [])])[0]
        let approved = try await store.savePhoto(Data("approved photo".utf8), width: 400, height: 400, fingerprint: "aa")
        let waiting = try await store.savePhoto(Data("waiting photo".utf8), width: 400, height: 400, fingerprint: "bb")
        (waitingSHA, approvedSHA) = (waiting.sha256, approved.sha256)
        let event = PhotoEvent(personId: person, system: "google", accountId: "1", personLabel: "E1", runId: nil, detail: nil)
        try await store.approve(approved.sha256, source: "hr", firstSeen: Date(), by: "sync", reason: nil, event: event, action: .approved)
        try await store.queue(waiting.sha256, source: "google", firstSeen: Date(), reason: "a self-service change", event: event)
    }

    func app(_ settings: ConsoleSettings = ConsoleSettings()) throws -> some ApplicationProtocol {
        try Console(store: store, settings: settings, logger: Logger(label: "test")).application()
    }

    func waitingStatus() async throws -> PersonPhoto.Status? {
        try await store.personPhotos(of: person).first { $0.sha256 == waitingSHA }?.status
    }

    @Test func signInIsNeededEverywhereButHealth() async throws {
        try await app().test(.router) { client in
            for path in ["/", "/queue", "/photos/\(waitingSHA)"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .seeOther, "\(path)")
                    #expect(response.headers[.location] == "/login")
                }
            }
            try await client.execute(uri: "/queue/decide", method: .post, body: ByteBuffer(string: "person=\(person)&verdict=approved")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"store\":\"ok\""))
            }
        }
        #expect(try await waitingStatus() == .waiting)
    }

    @Test func anApprovalLandsInTheAuditLogUnderTheSignedInName() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "hr.anna")
            let page = try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(page.contains("a self-service change"))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.contains("<script>"))
            #expect(page.contains("/photos/\(waitingSHA)") && page.contains("/photos/\(approvedSHA)"))
            let csrf = try #require(Self.csrf(in: page))
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved&reason=looks+right")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/queue?approved=1&gone=0")
            }
            let after = try await client.execute(uri: "/queue?approved=1&gone=0", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(after.contains("Approved 1 photo"))
            #expect(after.contains("Nothing waits for approval."))
        }
        let approved = try await store.personPhotos(of: person).first { $0.status == .approved }
        #expect(approved?.sha256 == waitingSHA)
        #expect(approved?.decidedBy == "hr.anna")
        let audit = try await store.auditEntries(person: person)
        #expect(audit.contains { $0.action == .approved && ($0.detail ?? "").contains("by hr.anna: looks right") })
    }

    @Test func aFormWithoutItsTokenOrFromAnotherSiteChangesNothing() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "hr.anna")
            let page = try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }
            let csrf = try #require(Self.csrf(in: page))
            var crossSite = session.headers
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            var otherOrigin = session.headers
            otherOrigin[.origin] = "https://evil.example"
            let attempts: [(HTTPFields, String)] = [
                (session.headers, "person=\(person)&verdict=approved"),
                (session.headers, "csrf=forged&person=\(person)&verdict=approved"),
                (crossSite, "csrf=\(csrf)&person=\(person)&verdict=approved"),
                (otherOrigin, "csrf=\(csrf)&person=\(person)&verdict=approved"),
            ]
            for (headers, body) in attempts {
                try await client.execute(uri: "/queue/decide", method: .post, headers: headers, body: ByteBuffer(string: body)) {
                    #expect($0.status == .forbidden)
                }
            }
            // A token of another session does not carry over.
            let other = try await signIn(client, as: "hr.anna")
            try await client.execute(uri: "/queue/decide", method: .post, headers: other.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved")) {
                #expect($0.status == .forbidden)
            }
        }
        #expect(try await waitingStatus() == .waiting)
    }

    @Test func aViewerSeesTheQueueButCannotDecide() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "it.bob")
            let page = try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(page.contains("a self-service change"))
            #expect(!page.contains("Approve selected"))
            let csrf = try #require(Self.csrf(in: page))
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved")) {
                #expect($0.status == .forbidden)
            }
        }
        #expect(try await waitingStatus() == .waiting)
    }

    @Test func rejectingNeedsAReason() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "hr.anna")
            let csrf = try #require(Self.csrf(in: try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }))
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=rejected&reason=+")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("Say why you reject"))
            }
            #expect(try await waitingStatus() == .waiting)
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=rejected&reason=not+a+face")) {
                #expect($0.status == .seeOther)
            }
            // Decided already: a second decision says so and changes nothing.
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved")) {
                #expect($0.headers[.location] == "/queue?approved=0&gone=1")
            }
        }
        #expect(try await waitingStatus() == .rejected)
    }

    @Test func photosOnlyByTheirHashToSignedInPeople() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "it.bob")
            try await client.execute(uri: "/photos/\(waitingSHA)", method: .get, headers: session.headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                #expect(String(buffer: response.body) == "waiting photo")
            }
            let unknown = String(repeating: "a", count: 64)
            for path in ["/photos/\(unknown)", "/photos/\(waitingSHA.uppercased())", "/photos/..%2Fportrait.db", "/photos/portrait.db"] {
                try await client.execute(uri: path, method: .get, headers: session.headers) {
                    #expect($0.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test func sessionsLiveInTheStoreAndEndOnSignOut() async throws {
        let session = try await app().test(.router) { client in
            let session = try await signIn(client, as: "hr.anna")
            #expect(session.cookie.contains("HttpOnly"))
            #expect(session.cookie.contains("SameSite=Lax"))
            #expect(!session.cookie.contains("Secure"), "plain http on loopback")
            return session
        }
        // Another process on the same store: still signed in.
        try await app().test(.router) { client in
            let page = try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }
            let csrf = try #require(Self.csrf(in: page))
            try await client.execute(uri: "/logout", method: .post, headers: session.headers, body: ByteBuffer(string: "csrf=\(csrf)")) {
                #expect($0.status == .seeOther)
            }
            try await client.execute(uri: "/queue", method: .get, headers: session.headers) {
                #expect($0.headers[.location] == "/login")
            }
        }
        var proxied = ConsoleSettings()
        proxied.behindProxy = true
        try await app(proxied).test(.router) { client in
            let cookie = try await signIn(client, as: "hr.anna").cookie
            #expect(cookie.contains("Secure"))
        }
    }

    @Test func failedSignInsAreRefusedAndThenLimited() async throws {
        try await app().test(.router) { client in
            for _ in 0..<5 {
                try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: "name=hr.anna&password=guess")) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains("Wrong name or password."))
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            // Locked now, even with the right password.
            try await client.execute(uri: "/login", method: .post,
                                     body: ByteBuffer(string: "name=HR.ANNA&password=\(Self.password.replacingOccurrences(of: " ", with: "+"))")) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.setCookie] == nil)
            }
            // Another account is not locked by them.
            _ = try await signIn(client, as: "it.bob")
        }
    }

    // MARK: - Helpers

    struct Session {
        var cookie: String
        var headers: HTTPFields
    }

    func signIn(_ client: some TestClientProtocol, as name: String) async throws -> Session {
        let body = "name=\(name)&password=\(Self.password.replacingOccurrences(of: " ", with: "+"))"
        return try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: body)) { response in
            #expect(response.status == .seeOther)
            let cookie = try #require(response.headers[.setCookie])
            let pair = try #require(cookie.split(separator: ";").first)
            return Session(cookie: cookie, headers: [.cookie: String(pair)])
        }
    }

    static func csrf(in page: String) -> String? {
        guard let start = page.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(page[start.upperBound...].prefix { $0 != "\"" })
    }
}
