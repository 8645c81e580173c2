import Foundation

/// Where each key of a TOML file is written, by dotted path, so configuration errors can name the
/// line: the TOML parser reports lines only for syntax errors.
public struct KeyLines {
    private var lines: [String: Int] = [:]

    public init(text: String) {
        var table = ""
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = offset + 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                let name = line.drop { $0 == "[" }.prefix { $0 != "]" }
                table = Self.normalised(String(name))
                // `[a.b]` also writes out table `a`, where no earlier line did.
                var prefix = ""
                for part in table.split(separator: ".") {
                    prefix = prefix.isEmpty ? String(part) : "\(prefix).\(part)"
                    if lines[prefix] == nil { lines[prefix] = number }
                }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = Self.normalised(String(line[..<equals]))
            let path = table.isEmpty ? key : "\(table).\(key)"
            if lines[path] == nil { lines[path] = number }
        }
    }

    /// The line of `path`, or of the nearest enclosing table written out.
    public func line(of path: String) -> Int? {
        var parts = path.split(separator: ".").map(String.init)
        while !parts.isEmpty {
            if let line = lines[parts.joined(separator: ".")] { return line }
            parts.removeLast()
        }
        return nil
    }

    /// The names of the tables under `parent`, in the order the file writes them; names it cannot
    /// place (inline tables) follow in alphabetical order.
    public func orderOfTables(under parent: String, among names: [String]) -> [String] {
        names.sorted { (line(of: "\(parent).\($0)") ?? .max, $0) < (line(of: "\(parent).\($1)") ?? .max, $1) }
    }

    /// `systems . "out"` → `systems.out`.
    private static func normalised(_ key: String) -> String {
        key.split(separator: ".").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }.joined(separator: ".")
    }
}
