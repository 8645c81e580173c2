import Foundation

/// Percent-encoding for what the cloud systems put in URLs and form bodies.
public enum URLEncoding {
    /// RFC 3986's unreserved characters: everything else is escaped.
    static let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    static let keepingAt = unreserved.union(CharacterSet(charactersIn: "@"))

    /// A form or query value.
    public static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// An account key in a path or query (an id or a mail, whose `@` stays readable).
    public static func key(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: keepingAt) ?? value
    }

    /// `application/x-www-form-urlencoded` fields.
    public static func form(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}
