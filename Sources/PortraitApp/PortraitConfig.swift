import Foundation
import PortraitCore
import TOMLKit

/// `portrait.toml`: where the store is and which systems exist. Every system is built (and so
/// every key checked) when the file is loaded, before anything runs.
public struct PortraitConfig: Sendable {
    public let file: URL
    public let storePath: URL
    /// In the order the file names them.
    public let systemNames: [String]
    private let systems: [String: any PhotoSystem]

    public static func load(from file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PortraitConfig {
        let file = file.standardizedFileURL
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: file.path)
            throw ConfigError(file: file.path, line: nil, key: "",
                              message: exists ? "cannot read the file as UTF-8 text" : "no such file; pass --config with the path of your portrait.toml")
        }
        let document = ConfigDocument(file: file, lines: KeyLines(text: text))
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let parse as TOMLParseError {
            throw ConfigError(file: file.path, line: parse.source.begin.line, key: "", message: "not valid TOML: \(parse.description)")
        }
        let top = ConfigTable(path: "", table: root, document: document)

        var storePath = file.deletingLastPathComponent().appendingPathComponent("portrait.db")
        if let store = try top.subtable("store") {
            if let path = try store.fileURL("path") { storePath = path }
            try store.finish(expected: "[store] takes `path`")
        }

        guard let systemsTable = try top.subtable("systems"), !systemsTable.keys.isEmpty else {
            throw document.error(at: "systems", "no systems are defined; add at least one [systems.NAME] table with a `type`")
        }
        var systems: [String: any PhotoSystem] = [:]
        let names = document.lines.orderOfTables(under: "systems", among: systemsTable.keys)
        for name in names {
            guard let table = try systemsTable.subtable(name) else { continue }
            systems[name] = try SystemRegistry.make(name: name, table: table, environment: environment)
        }
        try top.finish(expected: "the file takes [store] and [systems.NAME] tables")
        return PortraitConfig(file: file, storePath: storePath, systemNames: names, systems: systems)
    }

    public func system(named name: String) throws -> any PhotoSystem {
        guard let system = systems[name] else {
            let known = systemNames.joined(separator: ", ")
            throw ConfigError(file: file.path, line: nil, key: "systems",
                              message: "no system is named \"\(name)\"; the file defines: \(known)")
        }
        return system
    }

    /// A system that photos can be written to.
    public func target(named name: String) throws -> any PhotoWriting {
        guard let target = try system(named: name) as? any PhotoWriting else {
            throw ConfigError(file: file.path, line: nil, key: "systems.\(name)",
                              message: "\(name) can only be read from, not written to")
        }
        return target
    }
}
