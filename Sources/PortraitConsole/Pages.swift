import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import PortraitCore
import PortraitEngine
import PortraitStore

/// Renders the console's pages from `Templates`. Models are plain structs that give Mustache
/// their fields by name (`TemplateFields.swift`: reflection, Mustache's default, took most of the
/// time of a page of 1,000 photos), conditions derived from the stored fields included; every
/// list is an array and every condition a Bool, so nothing depends on how Mustache treats an
/// optional or an empty string.
struct Pages: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Templates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    func html(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        let text = library.render(model, withTemplate: template) ?? ""
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A page that says what went wrong and where to go next.
    func message(_ status: HTTPResponse.Status, heading: String, text: String, visitor: Visitor?,
                 link: String = "/", linkText: String = "Back to the queue") -> Response {
        html("message", MessagePage(frame: Frame(visitor, page: nil), heading: heading, text: text, link: link, linkText: linkText), status: status)
    }
}

/// What every page's layout shows: who is signed in, the form token, the current page.
struct Frame {
    struct SignedIn {
        var name: String
        var role: String
    }

    var visitor: [SignedIn]
    var csrf: String
    var onQueue: Bool
    var onPeople: Bool
    var onCoverage: Bool
    var onRuns: Bool
    var onSystems: Bool

    init(_ visitor: Visitor?, page: String?) {
        self.visitor = visitor.map { [SignedIn(name: $0.name, role: $0.role.rawValue)] } ?? []
        csrf = visitor?.csrf ?? ""
        onQueue = page == "queue"
        onPeople = page == "people"
        onCoverage = page == "coverage"
        onRuns = page == "runs"
        onSystems = page == "systems"
    }
}

struct MessagePage {
    var frame: Frame
    var heading: String
    var text: String
    var link: String
    var linkText: String
}

struct SignInPage {
    var frame = Frame(nil, page: nil)
    var name: String
    /// The console page to go to once signed in.
    var next: String
    var problem: String
    /// The identity provider's name ("Microsoft"), or empty for local accounts' password form.
    var provider: String
    var hasProblem: Bool { !problem.isEmpty }
    var hasProvider: Bool { !provider.isEmpty }
    var providerLink: String { "/login/start?next=" + FormFields.encode(next) }

    init(name: String = "", next: String = "/", problem: String = "", provider: String = "") {
        self.name = name
        self.next = next
        self.problem = problem
        self.provider = provider
    }
}

struct QueuePage {
    struct Item {
        var personId: Int64
        var person: String
        var source: String
        var firstSeen: String
        var reason: String
        var photo: String
        /// Empty when the person has no approved photo yet.
        var approvedPhoto: String
        var ticked: Bool
        /// What each system shows now (as of the last sync).
        var shows: [ShownCell]
        var hasApproved: Bool { !approvedPhoto.isEmpty }
        var hasShows: Bool { !shows.isEmpty }
    }

    struct ShownCell {
        var system: String
        var cell: PhotoCell
    }

    var frame: Frame
    var items: [Item]
    var mayDecide: Bool
    var notice: String
    var problem: String
    var reason: String
    var count: Int { items.count }
    var hasItems: Bool { !items.isEmpty }
    var hasNotice: Bool { !notice.isEmpty }
    var hasProblem: Bool { !problem.isEmpty }

    init(_ waiting: [ApprovalDesk.Waiting], visitor: Visitor, notice: String, problem: String, ticked: Set<Int64> = [], reason: String = "") {
        frame = Frame(visitor, page: "queue")
        items = waiting.map {
            let person = $0.person
            return Item(personId: $0.personId, person: person, source: $0.source, firstSeen: $0.firstSeen.formatted(DateText.time),
                        reason: $0.reason, photo: $0.photo, approvedPhoto: $0.approvedPhoto ?? "", ticked: ticked.contains($0.personId),
                        shows: $0.shows.map { ShownCell(system: $0.system, cell: PhotoCell($0.shown, alt: "\($0.system) shows for \(person)")) })
        }
        mayDecide = visitor.mayDecide
        self.notice = notice
        self.problem = problem
        self.reason = reason
    }
}

/// How dates read on the pages.
enum DateText {
    static let time = Date.FormatStyle(date: .abbreviated, time: .shortened)
}

/// One photo cell: a kept photo, or why there is none.
struct PhotoCell {
    /// Empty when there is none.
    var photo: String
    var alt: String
    var absent: String
    var hasPhoto: Bool { !photo.isEmpty }

    init(_ sha: String?, alt: String, absent: String) {
        photo = sha ?? ""
        self.alt = alt
        self.absent = absent
    }

    /// What a system showed at the last sync.
    init(_ shown: SyncStatus.Shown, alt: String) {
        switch shown {
        case .photo(let sha): self.init(sha, alt: alt, absent: "")
        case .none: self.init(nil, alt: "", absent: "no photo")
        case .notSeen: self.init(nil, alt: "", absent: "not seen")
        }
    }
}

struct CoveragePage {
    /// More rows than this make a page too long to read; People finds anyone else.
    static let maxRows = 500

    struct Person {
        var id: Int64
        var label: String
        var cells: [PhotoCell]
    }

    struct SystemRow {
        var name: String
        var people, withPhoto, showingApproved, showingOther, withoutPhoto, tooSmall, unknown: Int

        init(_ system: SyncStatus.System) {
            name = system.name
            (people, withPhoto, showingApproved, showingOther) = (system.people, system.withPhoto, system.showingApproved, system.showingOther)
            (withoutPhoto, tooSmall, unknown) = (system.withoutPhoto, system.tooSmall, system.unknown)
        }
    }

    var frame: Frame
    var hasPolicy: Bool
    var approvedPeople = 0
    var waiting = 0
    var lastSync = ""
    var systems: [SystemRow] = []
    /// The first `maxRows` of them.
    var disagreeing: [Person] = []
    var disagreeingCount = 0
    var systemNames: [String] { systems.map(\.name) }
    var hasDisagreeing: Bool { disagreeingCount > 0 }
    var shownCount: Int { disagreeing.count }
    var truncated: Bool { disagreeingCount > shownCount }

    init(_ status: SyncStatus?, visitor: Visitor) {
        frame = Frame(visitor, page: "coverage")
        hasPolicy = status != nil
        guard let status else { return }
        approvedPeople = status.peopleWithApproved
        waiting = status.waiting
        lastSync = status.lastRun.map { run in
            "Last sync: run \(run.id), started \(run.startedAt.formatted(DateText.time)), \(run.outcome ?? "still running")."
        } ?? "No sync has run yet."
        systems = status.systems.map(SystemRow.init)
        disagreeingCount = status.disagreeing.count
        let systemNames = systemNames
        disagreeing = status.disagreeing.prefix(Self.maxRows).map { person in
            let shows = Dictionary(person.shows.map { ($0.system, $0.shown) }, uniquingKeysWith: { first, _ in first })
            var cells = [PhotoCell(person.approved, alt: "Approved photo of \(person.label)", absent: "none"),
                         PhotoCell(person.waiting?.sha256, alt: "Waiting photo of \(person.label)", absent: "–")]
            for system in systemNames {
                cells.append(PhotoCell(shows[system] ?? .notSeen, alt: "\(system) shows"))
            }
            return Person(id: person.id, label: person.label, cells: cells)
        }
    }
}

/// Each system's last check and how its service has slowed Portrait down: read-only, the
/// configuration stays in portrait.toml.
struct SystemsPage {
    struct Row {
        var name: String
        var location: String
        var role: String
        var ok: Bool
        var state: String
        var problems: [String]
        var more: String
        var throttle: String
        var hasProblems: Bool { !problems.isEmpty }
    }

    /// At most this many of a system's problems are listed (`portrait check` lists them all).
    static let shownProblems = 5

    var frame: Frame
    var rows: [Row]
    var checked: String
    var running: Bool
    var canCheck: Bool
    var notice: String
    var hasRows: Bool { !rows.isEmpty }
    var hasNotice: Bool { !notice.isEmpty }

    init(last: (results: [SystemCheck], at: Date)?, running: Bool, canCheck: Bool, policy: SyncPolicy?,
         throttling: [String: ThrottleBoard.State], notice: String, visitor: Visitor, now: Date = Date()) {
        frame = Frame(visitor, page: "systems")
        self.running = running
        self.canCheck = canCheck
        self.notice = notice
        checked = last.map { "Checked at \($0.at.formatted(DateText.time)). " } ?? ""
        rows = (last?.results ?? []).map { check in
            var roles: [String] = []
            if policy?.sources.contains(check.name) == true { roles.append(policy?.approval.contains(check.name) == true ? "source (approval)" : "source") }
            if policy?.targets.contains(check.name) == true { roles.append("target") }
            let listed = check.errors.map { "error: \($0)" } + check.warnings.map { "warning: \($0)" }
            let hidden = listed.count - Self.shownProblems
            let throttle = throttling[check.name].map { state in
                var text = "slowed down \(state.pauses) time\(state.pauses == 1 ? "" : "s") since the console started; last at \(state.lastPause.formatted(DateText.time)): \(state.reason)"
                text += ", then \(state.concurrency) request\(state.concurrency == 1 ? "" : "s") at once"
                if let rates = state.rates { text += ", \(rates)" }
                return text
            } ?? "not slowed down since the console started"
            return Row(name: check.name, location: check.location, role: roles.isEmpty ? "not in [sync]" : roles.joined(separator: ", "),
                       ok: check.ok, state: check.ok ? "answers; \(check.people) \(check.people == 1 ? "person" : "people") listed" : "not OK: \(check.problem ?? "")",
                       problems: Array(listed.prefix(Self.shownProblems)), more: hidden > 0 ? "and \(hidden) more: portrait check --system \(check.name)" : "",
                       throttle: throttle)
        }
    }
}

struct RunsPage {
    struct Run {
        var id: Int64
        var command: String
        var started: String
        var took: String
        var outcome: String
        var summary: String
    }

    var frame: Frame
    var runs: [Run]
    var notice: String
    var canSync: Bool
    var live: String
    /// How the last sync this console ran ended; empty before the first.
    var last: String
    var mayDecide: Bool
    var hasRuns: Bool { !runs.isEmpty }
    var hasNotice: Bool { !notice.isEmpty }
    var hasLast: Bool { !last.isEmpty }

    init(_ records: [RunRecord], scheduler: SyncScheduler?, notice: String, visitor: Visitor) {
        frame = Frame(visitor, page: "runs")
        self.notice = notice
        canSync = scheduler != nil
        // One reading of the state, so that the live line and the last run agree.
        let state = scheduler?.state
        live = state.map { Self.liveText($0, every: scheduler?.every) } ?? ""
        last = state?.last.map { "\($0.outcome), \($0.at.formatted(DateText.time)), started by \($0.by) — \($0.summary)" } ?? ""
        mayDecide = visitor.mayDecide
        runs = records.map { record in
            let took = record.finishedAt.map { Duration.seconds($0.timeIntervalSince(record.startedAt)).formatted(.units(allowed: [.hours, .minutes, .seconds], width: .narrow)) }
            return Run(id: record.id, command: record.command, started: record.startedAt.formatted(DateText.time), took: took ?? "running",
                       outcome: record.outcome ?? "running", summary: record.summary ?? "")
        }
    }
}

extension RunsPage {
    /// The progress line, on the page and in each `/runs/live` event.
    static func liveText(_ state: SyncScheduler.State, every: Duration?) -> String {
        if state.running {
            let started = "started by \(state.startedBy) at \((state.startedAt ?? Date()).formatted(date: .omitted, time: .shortened))"
            return state.total == 0 ? "Sync running (\(started)): listing the systems…"
                : "Sync running (\(started)): \(state.done) of \(state.total) people done."
        }
        if let next = state.nextAt {
            return "No sync running; the next starts at \(next.formatted(date: .omitted, time: .shortened))."
        }
        return every == nil ? "No sync running; without [serve] sync_every, syncs run when someone presses Sync now or runs portrait sync."
            : "No sync running."
    }
}

struct PeoplePage {
    static let limit = 50

    struct Found {
        var id: Int64
        var label: String
    }

    var frame: Frame
    var query: String
    var found: [Found]
    /// More matched than `limit`.
    var truncated: Bool
    var limit = PeoplePage.limit
    var searched: Bool { !query.isEmpty }
    var hasFound: Bool { !found.isEmpty }

    init(query: String, found: [(id: Int64, label: String)], visitor: Visitor) {
        frame = Frame(visitor, page: "people")
        self.query = query
        self.found = found.prefix(Self.limit).map { Found(id: $0.id, label: $0.label) }
        truncated = found.count > Self.limit
    }
}

struct PersonPage {
    struct Photo {
        var sha256: String
        var status: String
        var source: String
        var firstSeen: String
        var decision: String
        var hasDecision: Bool { !decision.isEmpty }
    }

    struct Entry {
        var at: String
        var action: String
        var system: String
        var detail: String
    }

    var frame: Frame
    var id: Int64
    var label: String
    var notice: String
    var photos: [Photo]
    var entries: [Entry]
    /// The last decision a person made, which an approver may reopen; empty when there is none.
    var reopenable: String
    var hasPhotos: Bool { !photos.isEmpty }
    var hasEntries: Bool { !entries.isEmpty }
    var hasNotice: Bool { !notice.isEmpty }
    var canReopen: Bool { !reopenable.isEmpty }

    init(id: Int64, label: String, photos: [PersonPhoto], entries: [AuditEntry], notice: String, visitor: Visitor) {
        frame = Frame(visitor, page: "people")
        self.id = id
        self.label = label
        self.notice = notice
        let decided = photos.lastPersonDecision
        let waits = photos.contains { $0.status == .waiting }
        reopenable = visitor.mayDecide && !waits
            ? decided.map { "The photo from \($0.source) was \($0.status.rawValue) by \($0.decidedBy ?? "")\($0.decidedAt.map { " on \($0.formatted(DateText.time))" } ?? ""). Reopening puts it back in the queue\($0.status == .approved ? " and publishes the photo approved before it at the next sync" : "")." } ?? ""
            : ""
        self.photos = photos.reversed().map { photo in
            let decision = [photo.decidedBy.map { "decided by \($0)" }, photo.reason].compactMap { $0 }.joined(separator: ": ")
            return Photo(sha256: photo.sha256, status: photo.status.rawValue, source: photo.source, firstSeen: photo.firstSeen.formatted(DateText.time),
                         decision: decision)
        }
        self.entries = entries.reversed().map {
            Entry(at: $0.at.formatted(DateText.time), action: $0.action.rawValue, system: $0.system, detail: $0.detail ?? "")
        }
    }
}
