import Foundation
import Mustache
@testable import PortraitConsole
@testable import PortraitEngine
import PortraitStore
import Testing

/// Page models give templates their fields by name (`TemplateFields.swift`), by hand: every
/// stored property must be reachable, or a template would silently render nothing for it.
@Suite struct TemplateFieldTests {
    static let visitor = Visitor(name: "hr.anna", role: .approver, csrf: "token", tokenSHA256: "")

    static func models() -> [Any] {
        let frame = Frame(visitor, page: "queue")
        let waiting = ApprovalDesk.Waiting(personId: 1, person: "ann@example.org", source: "gws", firstSeen: Date(),
                                           reason: "changed", photo: "aa", approvedPhoto: "bb")
        let queue = QueuePage([waiting], visitor: visitor, notice: "n", problem: "p")
        let cell = PhotoCell("aa", alt: "a", absent: "none")
        let coverage = CoveragePage(nil, visitor: visitor)
        let runs = RunsPage([], scheduler: nil, notice: "", visitor: visitor)
        let people = PeoplePage(query: "ann", found: [(1, "ann@example.org")], visitor: visitor)
        let person = PersonPage(id: 1, label: "ann", photos: [], entries: [], notice: "", visitor: visitor)
        return [frame, frame.visitor[0], queue, queue.items[0], cell, coverage,
                CoveragePage.Person(id: 1, label: "ann", cells: [cell]),
                CoveragePage.SystemRow(SyncStatus.System(name: "gws")),
                runs, RunsPage.Run(id: 1, command: "sync", started: "", took: "", outcome: "ok", summary: ""),
                people, people.found[0], person,
                PersonPage.Photo(sha256: "aa", status: "approved", source: "gws", firstSeen: "", decision: ""),
                PersonPage.Entry(at: "", action: "queued", system: "gws", detail: ""),
                SignInPage(name: "ann", problem: ""),
                MessagePage(frame: frame, heading: "h", text: "t", link: "/", linkText: "l")]
    }

    @Test(arguments: models().indices)
    func everyStoredFieldReachesTheTemplates(index: Int) throws {
        let model = Self.models()[index]
        let parent = try #require(model as? MustacheParent, "\(type(of: model)) gives no fields by name")
        for case let (label?, _) in Mirror(reflecting: model).children {
            #expect(parent.child(named: label) != nil, "\(type(of: model)).\(label) is not in TemplateFields.swift")
        }
        #expect(parent.child(named: "noSuchField") == nil)
    }
}

@Suite struct LogTextTests {
    @Test func textFromARequestCannotForgeALogLine() {
        #expect(LogText.quoted("x\n2026-11-24T22:00:00Z console sign-in: hr.anna\u{1B}[31m") == "\"x\\n2026-11-24T22:00:00Z console sign-in: hr.anna\\u{1B}[31m\"")
        #expect(LogText.quoted(String(repeating: "a", count: 500)).count == LogText.limit + 3)
    }
}
