import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import PortraitCore
import PortraitEngine
import PortraitStore
import Prometheus

/// `portrait serve`: the approval queue in a browser, for the people who approve photos.
///
/// Pages are rendered on the server (`Pages`); sign-in makes a session kept in the store
/// (`SessionMiddleware`), so a restart signs nobody out; every state-changing request must come
/// from the console's own pages (`RequestOrigin`) and carry the session's form token. The console
/// acts only through the store and the engine (`ApprovalDesk`), as the CLI does.
public struct Console: Sendable {
    let store: Store
    let settings: ConsoleSettings
    /// `[sync]`, which Coverage measures against; nil when the file has none.
    let policy: SyncPolicy?
    /// Runs syncs on the schedule and on "Sync now"; nil when there is no `[sync]`.
    let scheduler: SyncScheduler?
    let pages: Pages
    /// Local accounts, or the organisation's identity provider.
    let signIn: SignInMethod
    let limiter = SignInLimiter()
    let pendingSignIns = PendingSignIns()
    let systems: SystemsMonitor
    let logger: Logger
    /// What `/metrics` shows: the counters runs in this process add (swift-metrics, bootstrapped
    /// on this registry by `serve`) and gauges read from the store when scraped.
    let metrics: PrometheusCollectorRegistry
    private let queueLength: Gauge

    public init(store: Store, settings: ConsoleSettings, policy: SyncPolicy?, scheduler: SyncScheduler?, signIn: SignInMethod = .local,
                checking: (any ConsoleChecking)? = nil, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger) throws {
        self.signIn = signIn
        systems = SystemsMonitor(checking: checking)
        self.metrics = metrics
        queueLength = metrics.makeGauge(name: "portrait_queue_length", help: "Photos waiting for approval.")
        self.store = store
        self.settings = settings
        self.policy = policy
        self.scheduler = scheduler
        self.logger = logger
        pages = try Pages()
    }

    /// The application; `onListening` is told the port once the address is bound (the one
    /// chosen by the system when `settings.port` is 0).
    public func application(onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let port = settings.port
        var server = HTTPServerBuilder.http1()
        if let tls = settings.tls {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(tls.certificateChainPEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(bytes: Array(tls.privateKeyPEM.reveal().utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(), tlsConfiguration: configuration)
        }
        return Application(router: router(), server: server, configuration: .init(address: .hostname(settings.host, port: port), serverName: nil),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: logger)
    }

    public func router() -> Router<ConsoleContext> {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: ResponseHeadersMiddleware(logger: logger))
        router.get("healthz") { _, _ in try await health() }
        // Uptime checkers often ask with HEAD.
        router.head("healthz") { _, _ in
            let answer = try await health()
            return Response(status: answer.status, headers: answer.headers)
        }
        router.get("metrics") { request, _ in try await prometheus(request) }
        router.get("console.css") { _, _ in Self.text(Templates.css, type: "text/css", cache: "max-age=3600") }
        router.get("console.js") { _, _ in Self.text(Templates.script, type: "text/javascript", cache: "max-age=3600") }

        // Only the routes that need to know who asks look the session up in the store.
        let sessions = router.group().add(middleware: SessionMiddleware(store: store, idle: settings.idleSession))
        sessions.get("login") { request, context in
            let next = Self.localPath(FormFields.query(of: request)["next"])
            guard context.visitor == nil else { return Self.redirect(next) }
            if case .provider(let provider, _) = signIn { return pages.html("signin", SignInPage(next: next, provider: provider.name)) }
            return pages.html("signin", SignInPage(next: next))
        }
        switch signIn {
        case .local:
            sessions.post("login") { request, context in try await signInLocally(request, context) }
        case .provider(let provider, let access):
            sessions.get("login/start") { request, context in try await startProviderSignIn(request, context, provider: provider) }
            sessions.get("login/callback") { request, context in try await finishProviderSignIn(request, context, provider: provider, access: access) }
        }
        sessions.post("logout") { request, context in try await signOut(request, context) }

        let signedIn = sessions.group().add(middleware: RequireSignIn(pages: pages))
        signedIn.get("/") { request, context in try await queue(request, context) }
        signedIn.get("queue") { request, context in try await queue(request, context) }
        signedIn.post("queue/decide") { request, context in try await decide(request, context) }
        signedIn.get("photos/:sha256") { _, context in try await photo(context) }
        signedIn.get("people") { request, context in
            let query = (FormFields.query(of: request)["q"] ?? "").trimmingCharacters(in: .whitespaces)
            let found = query.isEmpty ? [] : try await store.searchPeople(query, limit: PeoplePage.limit + 1)
            return pages.html("people", PeoplePage(query: query, found: found, visitor: context.visitor!))
        }
        signedIn.get("people/:id") { request, context in try await person(request, context) }
        signedIn.post("people/:id/reopen") { request, context in try await reopen(request, context) }
        signedIn.get("coverage") { _, context in
            var status: SyncStatus?
            if let policy { status = try await SyncStatus(store: store, policy: policy) }
            return pages.html("coverage", CoveragePage(status, visitor: context.visitor!))
        }
        signedIn.get("runs") { request, context in
            let query = FormFields.query(of: request)
            let notice = query["started"] != nil ? "Sync requested: the line below follows it." : query["busy"] != nil ? "A sync is running already: the line below follows it." : ""
            return pages.html("runs", RunsPage(try await store.runs(limit: 100), scheduler: scheduler, notice: notice, visitor: context.visitor!))
        }
        signedIn.post("runs/sync") { request, context in try await syncNow(request, context) }
        signedIn.get("runs/live") { _, _ in live() }
        signedIn.get("systems") { request, context in
            let notice = FormFields.query(of: request)["checking"] != nil ? "Checking every system: the results appear here when it ends." : ""
            return pages.html("systems", SystemsPage(last: await systems.last, running: await systems.running, canCheck: systems.canCheck, policy: policy,
                                                     throttling: ThrottleBoard.shared.snapshot(), notice: notice, visitor: context.visitor!))
        }
        signedIn.post("systems/check") { request, context in
            let visitor = context.visitor!
            if let refused = try await refuseForgedForm(request, visitor: visitor).refusal { return refused }
            guard await systems.start() else {
                return pages.message(.conflict, heading: "Nothing to check", text: "This console was started without its systems.", visitor: visitor,
                                     link: "/systems", linkText: "Systems")
            }
            logger.info("console: \(visitor.name) asked for a check of every system")
            return Self.redirect("/systems?checking=1")
        }
        return router
    }

    /// The first check of every system, so that the Systems page has something to show.
    public func checkSystems() async {
        await systems.start()
    }

    // MARK: - Sign-in

    private func signInLocally(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        guard RequestOrigin.isSameOrigin(request, behindProxy: settings.behindProxy) else {
            return pages.message(.forbidden, heading: "Refused", text: "This sign-in did not come from Portrait's own sign-in page.",
                                 visitor: nil, link: "/login", linkText: "Sign in")
        }
        let form = try await FormFields.body(of: request)
        let name = String((form["name"] ?? "").trimmingCharacters(in: .whitespaces).prefix(64))
        let password = form["password"] ?? ""
        let client = context.client(of: request, behindProxy: settings.behindProxy)
        let attempt = "\(name.lowercased()) \(client)"
        if let until = await limiter.lockedUntil(attempt) {
            logger.warning("console sign-in refused for \(LogText.quoted(name)) from \(client): too many failed attempts")
            return pages.html("signin", SignInPage(name: name, next: Self.localPath(form["next"]), problem: "Too many failed sign-ins for \(name) from this computer. \(Self.tryAgain(after: until))"),
                              status: .tooManyRequests)
        }
        guard !name.isEmpty, let account = try await LocalAccounts.verify(name: name, password: password, in: store) else {
            await limiter.failed(attempt)
            logger.warning("console sign-in failed for \(LogText.quoted(name)) from \(client)")
            return pages.html("signin", SignInPage(name: name, next: Self.localPath(form["next"]), problem: "Wrong name or password."), status: .unauthorized)
        }
        await limiter.succeeded(attempt)
        logger.info("console sign-in: \(account.name) (\(account.role.rawValue))")
        return try await openSession(name: account.name, role: account.role, next: Self.localPath(form["next"]))
    }

    /// A new session for someone who signed in, and the browser sent on to `next`.
    func openSession(name: String, role: ConsoleRole, next: String) async throws -> Response {
        let token = SessionToken.make()
        // Sessions nobody came back to are found idle only when used: each sign-in clears them.
        try await store.closeIdleConsoleSessions(idle: settings.idleSession)
        try await store.openConsoleSession(tokenSHA256: SessionToken.sha256(token), name: name, role: role.rawValue)
        var response = Self.redirect(next)
        response.setCookie(SessionToken.cookie(token, secure: settings.secureCookies))
        return response
    }

    /// When a locked-out sign-in may be tried again, in the console's time zone.
    static func tryAgain(after until: Date) -> String {
        "Try again after \(until.formatted(date: .omitted, time: .shortened)) (\(TimeZone.current.abbreviation() ?? "local time"))."
    }

    private func signOut(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        guard let visitor = context.visitor else { return Self.redirect("/login") }
        if let refused = try await refuseForgedForm(request, visitor: visitor).refusal { return refused }
        try await store.closeConsoleSession(tokenSHA256: visitor.tokenSHA256)
        logger.info("console sign-out: \(visitor.name)")
        var response = Self.redirect("/login")
        response.setCookie(SessionToken.expired(secure: settings.secureCookies))
        return response
    }

    // MARK: - Queue

    /// The queue; with a `problem`, the refused form's ticked photos and reason are kept.
    private func queue(_ request: Request, _ context: ConsoleContext, problem: String = "", ticked: Set<Int64> = [], reason: String = "") async throws -> Response {
        let visitor = context.visitor!
        let query = FormFields.query(of: request)
        var notice: [String] = []
        for (key, verb) in [("approved", "Approved"), ("rejected", "Rejected")] {
            if let count = query[key].flatMap(Int.init), count > 0 {
                notice.append("\(verb) \(count) photo\(count == 1 ? "" : "s"); the next sync carries \(count == 1 ? "it" : "them") out.")
            }
        }
        if let gone = query["gone"].flatMap(Int.init), gone > 0 {
            notice.append("\(gone) had no photo waiting any more (decided by someone else, or withdrawn by a sync).")
        }
        let waiting = try await ApprovalDesk(store: store).waiting(showing: policy?.systems ?? [])
        return pages.html("queue", QueuePage(waiting, visitor: visitor, notice: notice.joined(separator: " "), problem: problem,
                                             ticked: ticked, reason: reason),
                          status: problem.isEmpty ? .ok : .badRequest)
    }

    private func decide(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let visitor = context.visitor!
        let checked = try await refuseForgedForm(request, visitor: visitor)
        if let refused = checked.refusal { return refused }
        guard visitor.mayDecide else {
            return viewerRefused(visitor, "view the queue but not approve or reject", link: "/", linkText: "Back to the queue")
        }
        let form = checked.form
        let people = form.all("person").compactMap(Int64.init)
        let given = form["reason"] ?? ""
        func refuse(_ problem: String) async throws -> Response {
            try await queue(request, context, problem: problem, ticked: Set(people), reason: given)
        }
        guard let verdict = form["verdict"].flatMap(ApprovalDesk.Verdict.init(rawValue:)) else {
            return try await refuse("Choose Approve or Reject.")
        }
        guard !people.isEmpty, people.count == form.all("person").count else {
            return try await refuse("Select at least one photo to \(verdict == .approved ? "approve" : "reject").")
        }
        let reason = ApprovalDesk.reason(given)
        if verdict == .rejected && reason == nil {
            return try await refuse("Say why you reject: the reason is recorded and shown in the person's history.")
        }
        if let reason, let tooLong = ApprovalDesk.lengthProblem(reason) {
            return try await refuse("The reason \(tooLong).")
        }
        let desk = ApprovalDesk(store: store)
        var decided = 0, gone = 0
        for person in Set(people) {
            do {
                let done = try await desk.decide(verdict, person: person, by: visitor.name, reason: reason)
                logger.info("console: \(visitor.name) \(verdict.rawValue) the photo of \(LogText.quoted(done.person)) from \(done.source)")
                decided += 1
            } catch is ApprovalDesk.NothingWaiting {
                gone += 1
            }
        }
        return Self.redirect("/queue?\(verdict.rawValue)=\(decided)&gone=\(gone)")
    }

    // MARK: - Runs

    private func syncNow(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let visitor = context.visitor!
        let checked = try await refuseForgedForm(request, visitor: visitor)
        if let refused = checked.refusal { return refused }
        guard visitor.mayDecide else {
            return viewerRefused(visitor, "view runs but not start one", link: "/runs", linkText: "Back to runs")
        }
        guard let scheduler else {
            return pages.message(.conflict, heading: "Nothing to sync", text: "portrait.toml has no [sync] table, so there is nothing to sync.",
                                 visitor: visitor, link: "/runs", linkText: "Back to runs")
        }
        return Self.redirect(scheduler.start(by: visitor.name) ? "/runs?started=1" : "/runs?busy=1")
    }

    /// Server-sent events: the progress line every half second while a sync runs, then once more.
    private func live() -> Response {
        let scheduler = scheduler
        let body = ResponseBody { writer in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            while true {
                let state = scheduler?.state ?? SyncScheduler.State()
                let event = LiveEvent(running: state.running, text: scheduler.map { RunsPage.liveText(state, every: $0.every) } ?? "")
                let json = String(decoding: try encoder.encode(event), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "data: \(json)\n\n"))
                guard state.running else { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    private struct LiveEvent: Encodable {
        var running: Bool
        var text: String
    }

    // MARK: - People

    private func reopen(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        let visitor = context.visitor!
        if let refused = try await refuseForgedForm(request, visitor: visitor).refusal { return refused }
        guard let id = context.parameters.get("id", as: Int64.self) else { return try await person(request, context) }
        guard visitor.mayDecide else {
            return viewerRefused(visitor, "view people but not reopen a decision", link: "/people/\(id)", linkText: "Back to the person")
        }
        do {
            let done = try await ApprovalDesk(store: store).reopen(person: id, by: visitor.name, reason: nil)
            logger.info("console: \(visitor.name) reopened the decision on the photo of \(LogText.quoted(done.person)) from \(done.source)")
            return Self.redirect("/people/\(id)?reopened=1")
        } catch let error as ApprovalDesk.NothingDecided {
            return pages.message(.conflict, heading: "Nothing to reopen", text: "\(error)", visitor: visitor, link: "/people/\(id)", linkText: "Back to the person")
        } catch let error as StoreError {
            return pages.message(.conflict, heading: "Nothing to reopen", text: "\(error)", visitor: visitor, link: "/people/\(id)", linkText: "Back to the person")
        }
    }

    private func person(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let keys = try await store.personKeys(id) else {
            return pages.message(.notFound, heading: "No such person", text: "Portrait knows nobody by that link; search for them on People.",
                                 visitor: context.visitor, link: "/people", linkText: "People")
        }
        let label = keys.label ?? "person \(id)"
        let notice = FormFields.query(of: request)["reopened"] != nil ? "Reopened: the photo waits for a decision again (Queue)." : ""
        return pages.html("person", PersonPage(id: id, label: label, photos: try await store.personPhotos(of: id),
                                               entries: try await store.auditEntries(person: id), notice: notice, visitor: context.visitor!))
    }

    // MARK: - Photos

    /// A photo Portrait keeps, by its SHA-256, to signed-in people only; nothing else on disk is reachable.
    private func photo(_ context: ConsoleContext) async throws -> Response {
        let sha = context.parameters.get("sha256") ?? ""
        guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
              try await store.photo(sha) != nil, let file = store.photos.file(sha), let bytes = try? Data(contentsOf: file)
        else {
            return Self.text("No such photo.", status: .notFound)
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=86400, immutable"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: - Operations

    private struct Health: Encodable {
        struct LastSync: Encodable {
            var outcome: String
            var finishedAt: Date
            enum CodingKeys: String, CodingKey {
                case outcome
                case finishedAt = "finished_at"
            }
        }

        var status: String
        var store: String
        var lastSync: LastSync?
        enum CodingKeys: String, CodingKey {
            case status, store
            case lastSync = "last_sync"
        }

        /// `last_sync` is null before the first sync, rather than missing.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(store, forKey: .store)
            try container.encode(lastSync, forKey: .lastSync)
        }
    }

    /// Whether the store answers, and how the last sync ended: for a load balancer or a monitor.
    private func health() async throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let health: Health
        let status: HTTPResponse.Status
        do {
            let last = try await store.lastFinishedRun(command: "sync")
            health = Health(status: "ok", store: "ok", lastSync: last.map { .init(outcome: $0.outcome ?? "unknown", finishedAt: $0.finishedAt!) })
            status = .ok
        } catch {
            logger.error("healthz: the store does not answer: \(error)")
            health = Health(status: "failing", store: "unreachable", lastSync: nil)
            status = .serviceUnavailable
        }
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(health))))
    }

    /// Prometheus' text format: open where only this machine reaches the console, else only with
    /// the bearer token of `metrics_token_env`.
    private func prometheus(_ request: Request) async throws -> Response {
        if !settings.isPrivate {
            guard let token = settings.metricsToken, let given = request.headers[.authorization],
                  ConstantTime.equal(given, "Bearer " + token.reveal()) else {
                logger.warning("/metrics refused: no valid bearer token")
                var refused = Self.text("A bearer token is needed: [serve] metrics_token_env names it.\n", status: .unauthorized)
                refused.headers[HTTPField.Name("WWW-Authenticate")!] = "Bearer"
                return refused
            }
        }
        queueLength.set(Int64(try await store.waitingCount()))
        if let finished = try await store.lastFinishedRun(command: "sync", outcome: "ok")?.finishedAt {
            metrics.makeGauge(name: "portrait_seconds_since_last_successful_sync", help: "Seconds since a sync last ended ok.")
                .set(Date().timeIntervalSince(finished))
        }
        return Self.text(metrics.emitToString(), type: "text/plain; version=0.0.4")
    }

    // MARK: - Helpers

    /// A viewer asked for what only approvers may do: a page saying how to become one.
    private func viewerRefused(_ visitor: Visitor, _ what: String, link: String, linkText: String) -> Response {
        logger.warning("console: \(visitor.name) (viewer) may \(what)")
        let how = if case .local = signIn { "portrait user role \(visitor.name) approver" } else { "by adding you to approvers in [serve.auth] of portrait.toml" }
        return pages.message(.forbidden, heading: "Not allowed",
                             text: "Your account may \(what). An administrator can make you an approver: \(how).",
                             visitor: visitor, link: link, linkText: linkText)
    }

    /// Text that is not a page: a style sheet, a script, a short answer.
    static func text(_ body: String, type: String = "text/plain", status: HTTPResponse.Status = .ok, cache: String = "no-store") -> Response {
        Response(status: status, headers: [.contentType: "\(type); charset=utf-8", .cacheControl: cache],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A state-changing form must come from the console's own pages and carry this session's token.
    private func refuseForgedForm(_ request: Request, visitor: Visitor) async throws -> (form: FormFields, refusal: Response?) {
        let form = try await FormFields.body(of: request)
        let sameOrigin = RequestOrigin.isSameOrigin(request, behindProxy: settings.behindProxy)
        guard sameOrigin, let token = form["csrf"], ConstantTime.equal(token, visitor.csrf) else {
            logger.warning("console: refused a form from \(visitor.name)'s session: \(sameOrigin ? "no valid form token" : "sent from another site")")
            return (form, pages.message(.forbidden, heading: "Refused", text: "This request did not come from a page of this console (or the page is from an earlier sign-in). Nothing was changed; reload the page and try again.",
                                        visitor: visitor))
        }
        return (form, nil)
    }

    /// Where to go after signing in: a path of this console only ("/people?q=ann"), never another
    /// site ("//evil.example", "https://…"); anything else is the queue.
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.hasPrefix("/\\"),
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return "/" }
        return text
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

/// Pages other than sign-in and health need a signed-in person: a browser is sent to sign in,
/// anything else is told 401.
struct RequireSignIn: RouterMiddleware {
    let pages: Pages

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        guard context.visitor != nil else {
            if request.method == .get || request.method == .head {
                let asked = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                return Console.redirect(asked == "/" ? "/login" : "/login?next=" + FormFields.encode(asked))
            }
            return pages.message(.unauthorized, heading: "Signed out", text: "Sign in again; nothing was changed.", visitor: nil,
                                 link: "/login", linkText: "Sign in")
        }
        return try await next(request, context)
    }
}

/// Security headers on every answer, and one log line per request naming its path only — a query
/// string (an OpenID code, a token) never reaches the log.
struct ResponseHeadersMiddleware: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            logger.info("\(request.method) \(request.uri.path) \(error.status.code)")
            throw error
        }
        for (name, value) in Self.headers {
            response.headers[name] = value
        }
        logger.info("\(request.method) \(request.uri.path) \(response.status.code)")
        return response
    }

    private static let headers: [(HTTPField.Name, String)] = [
        (HTTPField.Name("Content-Security-Policy")!, "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "same-origin"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
    ]
}
