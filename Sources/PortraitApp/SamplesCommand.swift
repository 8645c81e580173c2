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

    func run() throws {
        guard count > 0 else { throw ValidationError("--count must be at least 1") }
        let root = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var csv = "path,mail,employeeId\r\n"
        for index in 0..<count {
            let mail = SamplePeople.mail(index, domain: domain)
            // Mostly portrait JPEGs; some landscape, some rotated by EXIF only, some PNG.
            let landscape = index % 5 == 3
            let (width, height) = landscape ? (1600, 1200) : (1200, 1600)
            let bitmap = SamplePortrait.bitmap(seed: index + 1, width: width, height: height)
            let name: String
            let data: Data
            if index % 6 == 5 {
                name = String(format: "IMG_%04d.png", index + 1)
                data = try bitmap.encoded(as: .png)
            } else {
                name = String(format: "IMG_%04d.jpg", index + 1)
                data = try bitmap.encoded(as: .jpeg(quality: 88, orientation: nil))
            }
            try data.write(to: root.appendingPathComponent(name))
            csv += "\(name),\(mail),\(SamplePeople.employeeId(index))\r\n"
        }
        try Data(csv.utf8).write(to: root.appendingPathComponent("map.csv"))
        Terminal.err("Wrote \(count) portraits and map.csv to \(root.path)")
    }
}
