import Foundation
import PortraitCore

/// A file-name pattern such as `{mail}.jpg`, `{employeeId}.jpg` or `{upn}.*`: placeholders take
/// one path component's worth of text, `*` any run of characters within a component.
struct FilePattern {
    let text: String
    private let regex: NSRegularExpression
    private let placeholders: [MatchKey]

    init(_ text: String, system: String) throws {
        self.text = text
        var expression = "^"
        var placeholders: [MatchKey] = []
        var rest = Substring(text)
        while let first = rest.first {
            if first == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw SystemError(.misconfigured, "\(system): pattern \(text) has a { without }")
                }
                let name = rest[rest.index(after: rest.startIndex)..<close]
                guard let key = Self.key(named: String(name)) else {
                    throw SystemError(.misconfigured, "\(system): pattern \(text) names {\(name)}; use {mail}, {upn} or {employeeId}")
                }
                placeholders.append(key)
                expression += "([^/]+)"
                rest = rest[rest.index(after: close)...]
            } else {
                expression += first == "*" ? "[^/]*" : NSRegularExpression.escapedPattern(for: String(first))
                rest = rest.dropFirst()
            }
        }
        guard !placeholders.isEmpty else {
            throw SystemError(.misconfigured, "\(system): pattern \(text) names nobody; include {mail}, {upn} or {employeeId}")
        }
        self.placeholders = placeholders
        regex = try NSRegularExpression(pattern: expression + "$", options: [.caseInsensitive])
    }

    func keys(forPath path: String) -> MatchKeys? {
        let range = NSRange(path.startIndex..., in: path)
        guard let match = regex.firstMatch(in: path, range: range) else { return nil }
        var values: [MatchKey: String] = [:]
        for (index, key) in placeholders.enumerated() {
            guard let captured = Range(match.range(at: index + 1), in: path) else { return nil }
            values[key] = String(path[captured])
        }
        return MatchKeys(mail: values[.mail], userPrincipalName: values[.userPrincipalName], employeeId: values[.employeeId])
    }

    private static func key(named name: String) -> MatchKey? {
        switch name.lowercased() {
        case "mail": .mail
        case "upn", "userprincipalname": .userPrincipalName
        case "employeeid": .employeeId
        default: nil
        }
    }
}
