import ArgumentParser
import Foundation
import PortraitCore
import PortraitImaging

/// Writes a photographer's delivery to try Portrait on: numbered portraits in mixed sizes, formats
/// and orientations, and a `map.csv` naming who is who.
struct SamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Write example portraits and a map.csv into a folder, to try Portrait without real photos."
    )

    @Argument(help: "The folder to write into (created if needed).")
    var folder: String

    @Option(name: .long, help: "How many portraits.")
    var count = 24

    @Option(name: .long, help: "The domain of the example mail addresses.")
    var domain = "example.com"

    @Flag(name: .long, help: "Overwrite files already in the folder.")
    var force = false

    func run() throws {
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be from 1 to 10000") }
        let root = URL(fileURLWithPath: folder)
        let names = (0..<count).map(Self.fileName) + ["map.csv"]
        let existing = names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) }
        if !force, let first = existing.first {
            Terminal.err("error: \(root.appendingPathComponent(first).path)\(existing.count > 1 ? " and \(existing.count - 1) more" : "") already exist\(existing.count > 1 ? "" : "s"); samples never overwrites files — pick another folder, or pass --force")
            throw CommandExit(status: .usage)
        }
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            Terminal.err("error: cannot create \(root.path): \(error.localizedDescription)")
            throw CommandExit(status: .usage)
        }
        var csv = "path,mail,employeeId\r\n"
        for index in 0..<count {
            let mail = SamplePeople.mail(index, domain: domain)
            // Mostly portrait JPEGs; some landscape, some rotated by EXIF only, some PNG.
            let landscape = index % 5 == 3
            let (width, height) = landscape ? (1600, 1200) : (1200, 1600)
            let bitmap = SamplePortrait.bitmap(seed: index + 1, width: width, height: height)
            let name = Self.fileName(index)
            let data = index % 6 == 5 ? try bitmap.encoded(as: .png) : try bitmap.encoded(as: .jpeg(quality: 88, orientation: nil))
            try data.write(to: root.appendingPathComponent(name))
            csv += "\(name),\(mail),\(SamplePeople.employeeId(index))\r\n"
        }
        try Data(csv.utf8).write(to: root.appendingPathComponent("map.csv"))
        Terminal.err("Wrote \(count) portraits and map.csv to \(root.path)")
    }

    /// Mostly JPEGs; every sixth a PNG.
    static func fileName(_ index: Int) -> String {
        String(format: index % 6 == 5 ? "IMG_%04d.png" : "IMG_%04d.jpg", index + 1)
    }
}
