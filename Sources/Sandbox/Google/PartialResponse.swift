import Foundation

/// Google's `fields=` partial responses: `a,b(c,d),e/f` keeps only the named members (a
/// selection inside an array applies to each element).
struct PartialResponse: Sendable {
    struct InvalidSelection: Error {}

    /// nil keeps everything below.
    private let selection: [String: PartialResponse]?

    init(_ text: String?) throws {
        guard let text, !text.isEmpty else {
            selection = nil
            return
        }
        var scanner = Array(text.filter { !$0.isWhitespace })[...]
        let parsed = try Self.parseList(&scanner)
        guard scanner.isEmpty else { throw InvalidSelection() }
        selection = parsed
    }

    private init(selection: [String: PartialResponse]?) {
        self.selection = selection
    }

    func apply(to value: Any) -> Any {
        guard let selection else { return value }
        if let array = value as? [Any] { return array.map { apply(to: $0) } }
        guard let object = value as? [String: Any] else { return value }
        var kept: [String: Any] = [:]
        for (key, below) in selection {
            if let member = object[key] { kept[key] = below.apply(to: member) }
        }
        return kept
    }

    private static func parseList(_ text: inout ArraySlice<Character>) throws -> [String: PartialResponse] {
        var result: [String: PartialResponse] = [:]
        while true {
            let (name, below) = try parseField(&text)
            result[name] = result[name].map { $0.merged(with: below) } ?? below
            guard text.first == "," else { return result }
            text.removeFirst()
        }
    }

    /// `name`, `name(list)` or `name/field`.
    private static func parseField(_ text: inout ArraySlice<Character>) throws -> (String, PartialResponse) {
        let name = String(text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "*" })
        guard !name.isEmpty else { throw InvalidSelection() }
        text.removeFirst(name.count)
        switch text.first {
        case "(":
            text.removeFirst()
            let inner = try parseList(&text)
            guard text.first == ")" else { throw InvalidSelection() }
            text.removeFirst()
            return (name, PartialResponse(selection: inner))
        case "/":
            text.removeFirst()
            let (child, below) = try parseField(&text)
            return (name, PartialResponse(selection: [child: below]))
        default:
            return (name, PartialResponse(selection: nil))
        }
    }

    private func merged(with other: PartialResponse) -> PartialResponse {
        guard let mine = selection, let theirs = other.selection else { return PartialResponse(selection: nil) }
        return PartialResponse(selection: mine.merging(theirs) { $0.merged(with: $1) })
    }
}
