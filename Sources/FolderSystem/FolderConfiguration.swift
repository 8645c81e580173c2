import Foundation
import PortraitCore
import PortraitSettings

/// `type = "folder"`: `path`, and `csv` or `pattern`, and the rendition keys.
extension FolderSystem: SystemType {
    public static let typeName = "folder"

    public static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem {
        let folder = try table.fileURL("path") ?? { throw table.error(nil, "missing required key `path` (the folder)") }()
        let csv = try table.fileURL("csv")
        let pattern = try table.string("pattern")
        if csv != nil, pattern != nil {
            throw table.error("pattern", "set either `csv` or `pattern`, not both")
        }
        let settings = Settings(folder: folder, csv: csv, pattern: pattern, profile: try table.profile(side: 648),
                                maxInputBytes: context.maxInputBytes)
        return FolderSystem(name: name, settings: settings)
    }
}
