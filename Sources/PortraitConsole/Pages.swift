import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import PortraitEngine

/// Renders the console's pages from `Templates`. Models are plain structs of stored properties
/// (Mustache reads them by reflection, which sees no computed ones); every list is an array and
/// every condition a Bool, so nothing depends on how it treats an optional or an empty string.
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

    init(_ visitor: Visitor?, page: String?) {
        self.visitor = visitor.map { [SignedIn(name: $0.name, role: $0.role.rawValue)] } ?? []
        csrf = visitor?.csrf ?? ""
        onQueue = page == "queue"
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
    var problem: String
    var hasProblem: Bool

    init(name: String = "", problem: String = "") {
        self.name = name
        self.problem = problem
        hasProblem = !problem.isEmpty
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
        var approvedPhoto: String
        var hasApproved: Bool
    }

    var frame: Frame
    var items: [Item]
    var count: Int
    var hasItems: Bool
    var mayDecide: Bool
    var notice: String
    var hasNotice: Bool
    var problem: String
    var hasProblem: Bool

    init(_ waiting: [ApprovalDesk.Waiting], visitor: Visitor, notice: String, problem: String) {
        frame = Frame(visitor, page: "queue")
        let format = Date.FormatStyle(date: .abbreviated, time: .shortened)
        items = waiting.map {
            Item(personId: $0.personId, person: $0.person, source: $0.source, firstSeen: $0.firstSeen.formatted(format),
                 reason: $0.reason, photo: $0.photo, approvedPhoto: $0.approvedPhoto ?? "", hasApproved: $0.approvedPhoto != nil)
        }
        count = items.count
        hasItems = !items.isEmpty
        mayDecide = visitor.mayDecide
        self.notice = notice
        hasNotice = !notice.isEmpty
        self.problem = problem
        hasProblem = !problem.isEmpty
    }
}
