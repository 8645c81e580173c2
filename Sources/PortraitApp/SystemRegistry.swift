import FolderSystem
import Foundation
import GoogleSystem
import GraphSystem
import LDAPSystem
import PortraitCore
import PortraitSettings

/// The system types a configuration can name: `type` → the target that reads the table.
enum SystemRegistry {
    static let types: [any SystemType.Type] = [FolderSystem.self, GraphSystem.self, GoogleSystem.self, LDAPSystem.self]

    static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem {
        let names = types.map { "\"\($0.typeName)\"" }.sorted().joined(separator: ", ")
        guard let typeName = try table.string("type") else {
            throw table.error(nil, "missing required key `type` (one of \(names))")
        }
        guard let type = types.first(where: { $0.typeName == typeName }) else {
            throw table.error("type", "unknown system type \"\(typeName)\"; expected one of \(names)")
        }
        let system = try type.make(name: name, table: table, context: context)
        try table.finish(expected: "see the configuration reference in README.md for what a \(typeName) system takes")
        return system
    }
}
