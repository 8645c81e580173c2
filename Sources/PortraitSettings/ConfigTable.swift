import Foundation
import PortraitCore
import TOMLKit

/// One table of the configuration, read key by key: every read checks the type and names the
/// key on error, and `finish()` refuses keys nobody read (typos, keys from another system type).
public final class ConfigTable {
    public let path: String
    public let document: ConfigDocument
    private let table: TOMLTable
    private var read: Set<String> = []

    public init(path: String, table: TOMLTable, document: ConfigDocument) {
        self.path = path
        self.table = table
        self.document = document
    }

    public var keys: [String] { table.keys }

    public func error(_ key: String?, _ message: String) -> ConfigError {
        let full = key.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? path
        return document.error(at: full, message)
    }

    public func string(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        guard let string = value.string else { throw mismatch(key, "a string", value) }
        return string
    }

    public func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw error(nil, "missing required key `\(key)` (a string)") }
        guard !value.isEmpty else { throw error(key, "must not be empty") }
        return value
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = take(key) else { return nil }
        guard let int = value.int else { throw mismatch(key, "an integer", value) }
        guard range.contains(int) else {
            throw error(key, "expected an integer from \(range.lowerBound) to \(range.upperBound), found \(int)")
        }
        return int
    }

    /// A number, integer or not, within `range`.
    public func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = take(key) else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else { throw mismatch(key, "a number", value) }
        guard range.contains(number) else { throw error(key, "expected a number from \(range.lowerBound) to \(range.upperBound), found \(number)") }
        return number
    }

    /// `[low, high]`: two numbers within `range`, the first not above the second.
    public func numberRange(_ key: String, in range: ClosedRange<Double>) throws -> ClosedRange<Double>? {
        guard let value = take(key) else { return nil }
        let numbers = value.array?.compactMap { $0.double ?? $0.int.map(Double.init) } ?? []
        guard numbers.count == 2, value.array?.count == 2 else { throw mismatch(key, "two numbers, [low, high]", value) }
        guard numbers.allSatisfy(range.contains), numbers[0] <= numbers[1] else {
            throw error(key, "expected [low, high] from \(range.lowerBound) to \(range.upperBound), low first, found [\(numbers[0]), \(numbers[1])]")
        }
        return numbers[0]...numbers[1]
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let value = take(key) else { return nil }
        guard let bool = value.bool else { throw mismatch(key, "true or false", value) }
        return bool
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, of type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let options = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            throw error(key, "expected \(options), found \"\(text)\"")
        }
        return value
    }

    /// An array of strings, each non-empty and named once.
    public func stringList(_ key: String) throws -> [String]? {
        guard let value = take(key) else { return nil }
        guard let array = value.array else { throw mismatch(key, "an array of strings", value) }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else { throw error(key, "expected an array of strings, found \(Self.describe(element)) in it") }
            guard !string.isEmpty else { throw error(key, "an empty name in the list") }
            guard !strings.contains(string) else { throw error(key, "names \"\(string)\" twice; name each once") }
            strings.append(string)
        }
        return strings
    }

    /// A path, relative to the configuration file's folder unless absolute.
    public func fileURL(_ key: String) throws -> URL? {
        guard let text = try string(key) else { return nil }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return document.resolve(text)
    }

    public func subtable(_ key: String) throws -> ConfigTable? {
        guard let value = take(key) else { return nil }
        guard let table = value.table else { throw mismatch(key, "a table", value) }
        return ConfigTable(path: path.isEmpty ? key : "\(path).\(key)", table: table, document: document)
    }

    /// Refuses any key that was not read, suggesting the known key it most resembles.
    public func finish(expected: String) throws {
        if let unknown = table.keys.sorted().first(where: { !read.contains($0) }) {
            if let near = read.filter({ Self.distance($0, unknown) <= 2 }).min(by: { Self.distance($0, unknown) < Self.distance($1, unknown) }) {
                throw error(unknown, "unknown key; did you mean `\(near)`? \(expected)")
            }
            throw error(unknown, "unknown key; \(expected)")
        }
    }

    private func take(_ key: String) -> TOMLValueConvertible? {
        read.insert(key)
        return table[key]
    }

    /// Edit distance (insertions, deletions, substitutions), case-insensitive.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    private func mismatch(_ key: String, _ expected: String, _ value: TOMLValueConvertible) -> ConfigError {
        error(key, "expected \(expected), found \(Self.describe(value))")
    }

    private static func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number with a fraction"
        case .bool: "a boolean"
        case .table: "a table"
        case .array: "an array"
        default: "a date or time"
        }
    }
}

/// The configuration file: its text for line numbers, its folder for relative paths.
public struct ConfigDocument {
    public let file: URL
    public let lines: KeyLines

    public init(file: URL, lines: KeyLines) {
        self.file = file
        self.lines = lines
    }

    public func error(at key: String, _ message: String) -> ConfigError {
        ConfigError(file: file.path, line: key.isEmpty ? nil : lines.line(of: key), key: key, message: message)
    }

    public func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : file.deletingLastPathComponent().appendingPathComponent(expanded)
        return url.standardizedFileURL
    }
}

extension ConfigTable {
    /// A secret, given as `<key>_env` (an environment variable's name) or `<key>_file` (a file
    /// readable by its owner only). Never as `<key>` itself: the configuration is not secret.
    public func secret(_ key: String, environment: [String: String]) throws -> Secret? {
        if table[key] != nil {
            _ = take(key)
            throw error(key, "secrets are not written in the configuration; set `\(key)_env` to the name of an environment variable, or `\(key)_file` to a file only you can read")
        }
        let variable = try string("\(key)_env")
        let file = try fileURL("\(key)_file")
        switch (variable, file) {
        case (.some, .some):
            throw error("\(key)_file", "set either `\(key)_env` or `\(key)_file`, not both")
        case (.some(let name), nil):
            guard let value = environment[name], !value.isEmpty else {
                throw error("\(key)_env", "the environment variable \(name) is not set; export it before running portrait")
            }
            return Secret(value)
        case (nil, .some(let url)):
            return try readSecretFile(url, key: "\(key)_file")
        case (nil, nil):
            return nil
        }
    }

    public func readSecretFile(_ url: URL, key: String) throws -> Secret {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            throw error(key, "cannot read \(url.path): no such file")
        }
        let permissions = (attributes[.posixPermissions] as? Int) ?? 0
        guard permissions & 0o077 == 0 else {
            throw error(key, "\(url.path) can be read by other users (mode \(String(permissions & 0o777, radix: 8))); run `chmod 600 \(url.path)`")
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw error(key, "cannot read \(url.path) as text")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw error(key, "\(url.path) is empty") }
        return Secret(value)
    }
}
