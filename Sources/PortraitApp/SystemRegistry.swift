import FolderSystem
import Foundation
import PortraitCore

/// The system types a configuration can name, and how each reads its table.
enum SystemRegistry {
    typealias Factory = @Sendable (_ name: String, _ table: ConfigTable, _ environment: [String: String]) throws -> any PhotoSystem

    static let factories: [String: Factory] = [
        "folder": makeFolder,
    ]

    static func make(name: String, table: ConfigTable, environment: [String: String]) throws -> any PhotoSystem {
        let types = factories.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        guard let type = try table.string("type") else {
            throw table.error(nil, "missing required key `type` (one of \(types))")
        }
        guard let factory = factories[type] else {
            throw table.error("type", "unknown system type \"\(type)\"; expected one of \(types)")
        }
        let system = try factory(name, table, environment)
        try table.finish(expected: "see the configuration reference in README.md for what a \(type) system takes")
        return system
    }

    /// The rendition profile keys shared by every target: side, max_bytes, crop, upscale.
    static func profile(_ table: ConfigTable, side defaultSide: Int, maxBytes defaultMaxBytes: Int? = nil) throws -> RenditionProfile {
        RenditionProfile(
            side: try table.int("side", in: 16...4096) ?? defaultSide,
            maxBytes: try table.int("max_bytes", in: 512...(Photo.maxInputBytes)) ?? defaultMaxBytes,
            crop: try table.choice("crop", of: CropMode.self) ?? .centre,
            upscale: try table.bool("upscale") ?? false)
    }

    static func makeFolder(name: String, table: ConfigTable, environment: [String: String]) throws -> any PhotoSystem {
        let folder = try table.fileURL("path") ?? { throw table.error(nil, "missing required key `path` (the folder)") }()
        let csv = try table.fileURL("csv")
        let pattern = try table.string("pattern")
        if csv != nil, pattern != nil {
            throw table.error("pattern", "set either `csv` or `pattern`, not both")
        }
        let settings = FolderSystem.Settings(folder: folder, csv: csv, pattern: pattern, profile: try profile(table, side: 648))
        return FolderSystem(name: name, settings: settings)
    }
}
