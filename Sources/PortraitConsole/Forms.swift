import Foundation
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` body or a query string, in order; a name
/// may repeat (the queue's checkboxes).
struct FormFields {
    static let maxBodyBytes = 64 * 1024

    private let pairs: [(name: String, value: String)]

    init(encoded text: String) {
        pairs = text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? Self.decode(parts[1]) ?? "" : "")
        }
    }

    static func body(of request: Request) async throws -> FormFields {
        FormFields(encoded: String(buffer: try await request.body.collect(upTo: maxBodyBytes)))
    }

    static func query(of request: Request) -> FormFields {
        FormFields(encoded: request.uri.query ?? "")
    }

    subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// A value for a query string: everything but letters and digits escaped.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
