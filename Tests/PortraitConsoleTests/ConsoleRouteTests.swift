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
        let keys = MatchKeys(employeeId: "<script>alert(1)</script>")
        person = try await store.saveJoin([JoinedPerson(id: nil, keys: keys, newLinks: [("google", Account(id: "1", keys: keys, photo: .present(version: "v1")))])])[0]
        _ = try await store.saveJoin([JoinedPerson(id: nil, keys: MatchKeys(mail: "ann_lee@example.org"), newLinks: [])])
        let approved = try await store.savePhoto(Data("approved photo".utf8), width: 400, height: 400, fingerprint: "aa")
        let waiting = try await store.savePhoto(Data("waiting photo".utf8), width: 400, height: 400, fingerprint: "bb")
        (waitingSHA, approvedSHA) = (waiting.sha256, approved.sha256)
        let event = PhotoEvent(personId: person, system: "google", accountId: "1", personLabel: "E1", runId: nil, detail: nil)
        try await store.approve(approved.sha256, source: "hr", firstSeen: Date(), by: "sync", reason: nil, event: event, action: .approved)
        try await store.queue(waiting.sha256, source: "google", firstSeen: Date(), reason: "a self-service change", event: event)
    }

    func app(_ settings: ConsoleSettings = ConsoleSettings(), scheduler: SyncScheduler? = nil, checking: (any ConsoleChecking)? = nil) throws -> some ApplicationProtocol {
        try console(settings, scheduler: scheduler, checking: checking).application()
    }

    func console(_ settings: ConsoleSettings = ConsoleSettings(), scheduler: SyncScheduler? = nil, checking: (any ConsoleChecking)? = nil) throws -> Console {
        var policy = SyncPolicy(sources: ["hr", "google"], targets: ["google"])
        policy.approval = ["google"]
        return try Console(store: store, settings: settings, policy: policy, scheduler: scheduler, checking: checking, logger: Logger(label: "test"))
    }

    func waitingStatus() async throws -> PersonPhoto.Status? {
        try await store.personPhotos(of: person).first { $0.sha256 == waitingSHA }?.status
    }

    @Test func signInIsNeededEverywhereButHealth() async throws {
        try await app().test(.router) { client in
            for (path, signIn) in [("/", "/login"), ("/queue", "/login?next=%2Fqueue"), ("/people?q=ann", "/login?next=%2Fpeople%3Fq%3Dann"),
                                   ("/photos/\(waitingSHA)", "/login?next=%2Fphotos%2F\(waitingSHA)")] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .seeOther, "\(path)")
                    #expect(response.headers[.location] == signIn)
                }
            }
            // Signed in, back to the page asked for — a page of this console only.
            let password = Self.password.replacingOccurrences(of: " ", with: "+")
            for (next, landing) in [("%2Fpeople%3Fq%3Dann", "/people?q=ann"), ("%2F%2Fevil.example", "/"), ("https%3A%2F%2Fevil.example", "/")] {
                try await client.execute(uri: "/login", method: .post, body: ByteBuffer(string: "name=it.bob&password=\(password)&next=\(next)")) {
                    #expect($0.headers[.location] == landing, "\(next)")
                }
            }
            try await client.execute(uri: "/queue/decide", method: .post, body: ByteBuffer(string: "person=\(person)&verdict=approved")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "{\"last_sync\":null,\"status\":\"ok\",\"store\":\"ok\"}")
            }
            try await client.execute(uri: "/healthz", method: .head) { #expect($0.status == .ok) }
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

    @Test func aRejectionIsReopenedFromThePersonsPageByAnApproverOnly() async throws {
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "hr.anna")
            let csrf = try #require(Self.csrf(in: try await client.execute(uri: "/queue", method: .get, headers: session.headers) { String(buffer: $0.body) }))
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=rejected&reason=blurred")) { #expect($0.status == .seeOther) }
            #expect(try await waitingStatus() == .rejected)
            let page = try await client.execute(uri: "/people/\(person)", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(page.contains("The photo from google was rejected by hr.anna") && page.contains("Reopen the decision"), "\(page)")

            // A viewer sees no button, and a post of theirs changes nothing.
            let viewer = try await signIn(client, as: "it.bob")
            let seen = try await client.execute(uri: "/people/\(person)", method: .get, headers: viewer.headers) { String(buffer: $0.body) }
            #expect(!seen.contains("Reopen the decision"))
            let viewerToken = try #require(Self.csrf(in: seen))
            try await client.execute(uri: "/people/\(person)/reopen", method: .post, headers: viewer.headers,
                                     body: ByteBuffer(string: "csrf=\(viewerToken)")) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/people/\(person)/reopen", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=forged")) { #expect($0.status == .forbidden) }
            #expect(try await waitingStatus() == .rejected)

            try await client.execute(uri: "/people/\(person)/reopen", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/people/\(person)?reopened=1")
            }
            let after = try await client.execute(uri: "/people/\(person)?reopened=1", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(after.contains("Reopened: the photo waits for a decision again") && !after.contains("Reopen the decision"))
        }
        #expect(try await waitingStatus() == .waiting)
        #expect(try await store.auditEntries(person: person).contains { $0.action == .reopened && ($0.detail ?? "").contains("reopened by hr.anna") })
    }

    @Test func reopeningAnApprovalBringsBackThePhotoApprovedBefore() async throws {
        let desk = ApprovalDesk(store: store)
        _ = try await desk.decide(.approved, person: person, by: "hr.anna", reason: nil)
        #expect(try await store.personPhotos(of: person).first { $0.status == .approved }?.sha256 == waitingSHA)
        let reopened = try await desk.reopen(person: person, by: "hr.anna", reason: "approved the wrong one")
        #expect(reopened.photo == waitingSHA)
        let photos = try await store.personPhotos(of: person)
        #expect(photos.first { $0.status == .approved }?.sha256 == approvedSHA, "the photo approved before is approved again")
        #expect(try await waitingStatus() == .waiting)
        // With a photo waiting there is nothing to reopen until it is decided.
        await #expect(throws: StoreError.self) { try await desk.reopen(person: person, by: "hr.anna", reason: nil) }
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
                let page = String(buffer: response.body)
                #expect(page.contains("Say why you reject"))
                #expect(page.contains("value=\"\(person)\" checked"), "the ticked photo stays ticked")
            }
            #expect(try await waitingStatus() == .waiting)
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=rejected&reason=not+a%0Aface%1B%5B2J")) {
                #expect($0.status == .seeOther)
            }
            // Decided already: a second decision says so and changes nothing.
            try await client.execute(uri: "/queue/decide", method: .post, headers: session.headers,
                                     body: ByteBuffer(string: "csrf=\(csrf)&person=\(person)&verdict=approved")) {
                #expect($0.headers[.location] == "/queue?approved=0&gone=1")
            }
        }
        #expect(try await waitingStatus() == .rejected)
        // One line in the audit log and history: a line break cannot forge another entry.
        let audit = try await store.auditEntries(person: person)
        #expect(audit.contains { $0.action == .rejected && $0.detail == "by hr.anna: not a face [2J" }, "\(audit.map(\.detail))")
    }

    @Test func metricsAreOpenOnLoopbackAndNeedTheTokenElsewhere() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("portrait_queue_length 1"), "\(String(buffer: response.body))")
            }
        }
        var proxied = ConsoleSettings()
        proxied.behindProxy = true
        try await app(proxied).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized, "no token configured") }
        }
        proxied.metricsToken = Secret("scrape-token")
        try await app(proxied).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer guess"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer scrape-token"]) {
                #expect($0.status == .ok)
                #expect(!String(buffer: $0.body).contains("scrape-token"))
            }
        }
    }

    @Test func stoppingTheConsoleStopsItsSyncAndStartsNoOther() async throws {
        let sync = StoppableSync()
        let scheduler = SyncScheduler(syncing: sync, every: nil, logger: Logger(label: "test"))
        #expect(scheduler.start(by: "hr.anna"))
        await sync.reached()
        await scheduler.stop()
        #expect(scheduler.state.last?.outcome == "interrupted")
        #expect(!scheduler.start(by: "the schedule"), "nothing starts once the console stops")
    }

    @Test func peopleCoverageAndRunsShowWhatTheStoreKnows() async throws {
        let run = try await store.beginRun(command: "sync", source: "", targets: ["google"], dryRun: false)
        try await store.finishRun(run, outcome: "partial", summary: "1 failed")
        try await app().test(.router) { client in
            let session = try await signIn(client, as: "it.bob")
            func page(_ uri: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: .get, headers: session.headers) { ($0.status, String(buffer: $0.body)) }
            }
            let coverage = try await page("/coverage")
            #expect(coverage.0 == .ok)
            #expect(coverage.1.contains("<th scope=\"row\">google</th><td>1</td>"), "one person linked in google")
            #expect(coverage.1.contains("/people/\(person)") && coverage.1.contains("/photos/\(waitingSHA)"), "they disagree: a photo waits")
            #expect(coverage.1.contains("Last sync: run \(run)"))
            let runs = try await page("/runs")
            #expect(runs.1.contains("partial") && runs.1.contains("1 failed"))

            // A part of a key, any case; `_` is a character, not a wildcard.
            let found = try await page("/people?q=ANN_")
            #expect(found.1.contains("ann_lee@example.org"))
            #expect(try await page("/people?q=nn%25le").1.contains("Nobody matches"))
            let byId = try await page("/people?q=script")
            #expect(byId.1.contains("/people/\(person)"))
            let history = try await page("/people/\(person)")
            #expect(history.0 == .ok)
            #expect(history.1.contains("/photos/\(waitingSHA)") && history.1.contains("queued") && history.1.contains("a self-service change"))
            #expect(try await page("/people/99999").0 == .notFound)
            #expect(try await page("/people/nobody").0 == .notFound)
        }
    }

    @Test func anApproverStartsASyncAndEveryoneSeesItsProgress() async throws {
        let sync = HeldSync()
        let scheduler = SyncScheduler(syncing: sync, every: nil, logger: Logger(label: "test"))
        try await app(scheduler: scheduler).test(.router) { client in
            let viewer = try await signIn(client, as: "it.bob")
            let viewerPage = try await client.execute(uri: "/runs", method: .get, headers: viewer.headers) { String(buffer: $0.body) }
            #expect(!viewerPage.contains(">Sync now</button>"))
            try await client.execute(uri: "/runs/sync", method: .post, headers: viewer.headers,
                                     body: ByteBuffer(string: "csrf=\(try #require(Self.csrf(in: viewerPage)))")) {
                #expect($0.status == .forbidden)
            }
            #expect(!scheduler.state.running)

            let approver = try await signIn(client, as: "hr.anna")
            let page = try await client.execute(uri: "/runs", method: .get, headers: approver.headers) { String(buffer: $0.body) }
            #expect(page.contains(">Sync now</button>") && page.contains("syncs run when someone presses Sync now"))
            let csrf = try #require(Self.csrf(in: page))
            try await client.execute(uri: "/runs/sync", method: .post, headers: approver.headers, body: ByteBuffer(string: "csrf=\(csrf)")) {
                #expect($0.headers[.location] == "/runs?started=1")
            }
            try await client.execute(uri: "/runs/sync", method: .post, headers: approver.headers, body: ByteBuffer(string: "csrf=\(csrf)")) {
                #expect($0.headers[.location] == "/runs?busy=1", "one sync at a time")
            }
            await sync.reached()
            let running = try await client.execute(uri: "/runs", method: .get, headers: viewer.headers) { String(buffer: $0.body) }
            #expect(running.contains("Sync running (started by hr.anna"), "\(running)")
            #expect(running.contains("3 of 10 people done"))
            sync.release()
            await scheduler.waitForRun()
            try await client.execute(uri: "/runs/live", method: .get, headers: viewer.headers) { response in
                #expect(response.headers[.contentType] == "text/event-stream")
                #expect(String(buffer: response.body).hasPrefix("data: {\"running\":false"))
            }
            let after = try await client.execute(uri: "/runs", method: .get, headers: viewer.headers) { String(buffer: $0.body) }
            #expect(after.contains("Last sync from this console: ok") && after.contains("10 people synced"))
        }
    }

    @Test func aSyncThatFailsIsShownAndTheNextMayStart() async throws {
        let scheduler = SyncScheduler(syncing: FailingSync(), every: nil, logger: Logger(label: "test"))
        #expect(scheduler.start(by: "hr.anna"))
        await scheduler.waitForRun()
        #expect(scheduler.state.last?.outcome == "failed")
        #expect(scheduler.state.last?.summary.contains("another run holds the store") == true)
        #expect(scheduler.start(by: "hr.anna"), "not stuck running")
        await scheduler.waitForRun()
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
                #expect($0.headers[.location]?.hasPrefix("/login") == true)
            }
        }
        // An account's change ends its sessions whatever the case its name is typed in.
        let again = try await app().test(.router) { try await signIn($0, as: "hr.anna") }
        #expect(try await store.setConsoleRole(name: "HR.ANNA", role: "approver"))
        try await app().test(.router) { client in
            try await client.execute(uri: "/queue", method: .get, headers: again.headers) {
                #expect($0.headers[.location]?.hasPrefix("/login") == true)
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

    @Test func systemsShowTheLastCheckAndHowEachServiceSlowedUsDown() async throws {
        // The board is shared by every test in this process: a name nobody else uses.
        let throttled = "google-\(UUID().uuidString.prefix(8))"
        let checks = FixedCheck(results: [
            SystemCheck(name: "hr", location: "/srv/photos", ok: true, people: 40, problem: nil, errors: [],
                        warnings: (1...7).map { "row \($0): names nobody" }),
            SystemCheck(name: throttled, location: "example.com", ok: false, people: 0, problem: "cannot connect to admin.googleapis.com", errors: [], warnings: []),
        ])
        ThrottleBoard.shared.paused(system: throttled, reason: "HTTP 403 userRateLimitExceeded", concurrency: 3, pausedSeconds: 2, rates: "at most 1200 requests a minute")
        let console = try console(checking: checks)
        try await console.application().test(.router) { client in
            let session = try await signIn(client, as: "it.bob")
            let before = try await client.execute(uri: "/systems", method: .get, headers: session.headers) { String(buffer: $0.body) }
            #expect(before.contains("Not checked yet."))
            let csrf = try #require(Self.csrf(in: before))
            // Any signed-in person may ask for a check: it changes nothing.
            try await client.execute(uri: "/systems/check", method: .post, headers: session.headers, body: ByteBuffer(string: "csrf=\(csrf)")) {
                #expect($0.status == .seeOther && $0.headers[.location] == "/systems?checking=1")
            }
            try await client.execute(uri: "/systems/check", method: .post, headers: session.headers, body: ByteBuffer(string: "")) {
                #expect($0.status == .forbidden)
            }
            await checks.finished()
            var page = ""
            for _ in 0..<100 {
                page = try await client.execute(uri: "/systems", method: .get, headers: session.headers) { String(buffer: $0.body) }
                if page.contains("Checked at") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(page.contains("answers; 40 people listed"))
            #expect(page.contains("source (approval), target") == false && page.contains("source"), "hr is a source without approval")
            #expect(page.contains("warning: row 5: names nobody") && !page.contains("row 6:"))
            #expect(page.contains("and 2 more: portrait check --system hr"))
            #expect(page.contains("not OK: cannot connect to admin.googleapis.com"))
            #expect(page.contains("slowed down 1 time since the console started"))
            #expect(page.contains("HTTP 403 userRateLimitExceeded, then 3 requests at once, at most 1200 requests a minute"))
            #expect(page.contains("not slowed down since the console started"))
        }
        #expect(await checks.calls == 1)
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

/// A sync that reports 3 of 10 people done, then waits until the test releases it.
final class HeldSync: ConsoleSyncing, @unchecked Sendable {
    private let lock = NSLock()
    private var gate: CheckedContinuation<Void, Never>?
    private var arrived: CheckedContinuation<Void, Never>?
    private var isHeld = false

    func sync(stop: StopSignal, progress: @escaping @Sendable (Int, Int) -> Void) async throws -> (outcome: String, summary: String) {
        progress(3, 10)
        await withCheckedContinuation { continuation in
            lock.withLock {
                gate = continuation
                isHeld = true
                arrived?.resume()
                arrived = nil
            }
        }
        return ("ok", "10 people synced")
    }

    /// Marks the sync as reached without holding it.
    func arrive() {
        lock.withLock {
            isHeld = true
            arrived?.resume()
            arrived = nil
        }
    }

    /// Returns once the sync is waiting.
    func reached() async {
        await withCheckedContinuation { continuation in
            let now = lock.withLock { () -> Bool in
                if isHeld { return true }
                arrived = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        lock.withLock { gate }?.resume()
    }
}

struct FailingSync: ConsoleSyncing {
    struct Held: Error, CustomStringConvertible {
        var description: String { "another run holds the store: portrait sync (pid 42)" }
    }

    func sync(stop: StopSignal, progress: @escaping @Sendable (Int, Int) -> Void) async throws -> (outcome: String, summary: String) {
        throw Held()
    }
}

/// A sync that runs until told to stop, as the engine does: then it ends `interrupted`.
final class StoppableSync: ConsoleSyncing, @unchecked Sendable {
    private let started = HeldSync()

    func sync(stop: StopSignal, progress: @escaping @Sendable (Int, Int) -> Void) async throws -> (outcome: String, summary: String) {
        started.arrive()
        while !stop.requested { try await Task.sleep(for: .milliseconds(5)) }
        return ("interrupted", "stopped")
    }

    func reached() async { await started.reached() }
}

/// Systems as a check found them, counted.
actor FixedCheck: ConsoleChecking {
    let results: [SystemCheck]
    private(set) var calls = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(results: [SystemCheck]) {
        self.results = results
    }

    func checkSystems() async -> [SystemCheck] {
        calls += 1
        for continuation in waiting { continuation.resume() }
        waiting = []
        return results
    }

    /// Returns once a check has run.
    func finished() async {
        if calls > 0 { return }
        await withCheckedContinuation { waiting.append($0) }
    }
}
