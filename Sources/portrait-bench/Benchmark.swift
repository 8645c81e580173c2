import ArgumentParser
import Foundation
import PortraitImaging

/// `make bench`: photographer-sized JPEGs through `portrait push` to a 648 and a 96 ≤ 10 KB
/// folder, against libvips' own `vipsthumbnail` on the same files; then photos of real faces
/// pushed with `crop = "face"` and with `crop = "centre"`, to price face detection.
struct Benchmark: ParsableArguments {
    @Option(help: "How many photos in the full run.")
    var photos = 500

    @Option(help: "A smaller run, to show memory does not grow with the number of photos.")
    var smallRun = 100

    @Option(help: "Width and height of each generated photo.")
    var size = "3000x4000"

    @Option(help: "How many times each crop of the face photos is pushed; the best run counts.")
    var faceRounds = 2

    @Option(help: "Where generated photos and outputs are kept between runs.")
    var work = ".build/bench"

    func measure() async throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size is WIDTHxHEIGHT") }
        guard faceRounds >= 1 else { throw ValidationError("--face-rounds is at least 1") }
        let root = URL(fileURLWithPath: work).standardizedFileURL
        let photoFolder = root.appendingPathComponent("photos-\(size)")
        try PhotoSet.generate(count: photos, width: parts[0], height: parts[1], into: photoFolder)

        var rows: [Measurement] = []
        for count in Set([smallRun, photos]).sorted() where count <= photos {
            rows.append(try pushRun(count: count, photos: photoFolder, root: root))
        }
        let reference = try vipsthumbnailRun(count: photos, photos: photoFolder, root: root)
        let faceFolder = root.appendingPathComponent("faces-\(size)")
        try FacePhotoSet.generate(count: photos, width: parts[0], height: parts[1], into: faceFolder,
                                  realPhotos: root.appendingPathComponent("real-photos"))
        // The two crops in turn, each at its best of `faceRounds`: a difference of a few per cent
        // would otherwise be lost in what else the machine does during one run.
        var centreRuns: [Measurement] = [], faceRuns: [Measurement] = []
        for _ in 0..<faceRounds {
            centreRuns.append(try pushRun(count: photos, photos: faceFolder, root: root, crop: "centre"))
            faceRuns.append(try pushRun(count: photos, photos: faceFolder, root: root, crop: "face"))
        }
        let centre = centreRuns.min { $0.seconds < $1.seconds }!, face = faceRuns.min { $0.seconds < $1.seconds }!
        print("")
        print("photos  tool                             seconds  photos/s  CPU s  peak RSS")
        for row in rows + [reference].compactMap({ $0 }) + [centre, face] {
            print(String(format: "%6d  ", row.count) + row.tool.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %8.2f  %8.2f  %5.0f  %6.1f MB", row.seconds, row.rate, row.cpuSeconds, row.peakMB))
        }
        print("Face rows: the best of \(faceRounds) runs each, in turn; all runs (seconds): centre "
              + centreRuns.map { String(format: "%.2f", $0.seconds) }.joined(separator: ", ")
              + "; face " + faceRuns.map { String(format: "%.2f", $0.seconds) }.joined(separator: ", "))
        if let reference, let full = rows.last {
            print(String(format: "\nportrait push reaches %.0f%% of vipsthumbnail's throughput (goal: at least 80%%).", 100 * full.rate / reference.rate))
        }
        if let small = rows.first, let full = rows.last, rows.count > 1 {
            print(String(format: "Peak RSS %.1f MB at %d photos, %.1f MB at %d (goal: under 250 MB and flat).", small.peakMB, small.count, full.peakMB, full.count))
        }
        print(String(format: "On %d photos of real faces, crop = \"face\" costs %.1f%% of the centre crop's throughput (goal: under 15%%); %.1f%% more CPU time.",
                     photos, 100 * (1 - face.rate / centre.rate), 100 * (face.cpuSeconds / centre.cpuSeconds - 1)))
    }

    struct Measurement {
        var tool: String
        var count: Int
        var seconds: Double
        var cpuSeconds: Double
        var peakMB: Double
        var rate: Double { Double(count) / seconds }
    }

    /// `portrait push` of the first `count` photos into empty targets with an empty store; both
    /// targets crop by `crop` when given.
    private func pushRun(count: Int, photos: URL, root: URL, crop: String? = nil) throws -> Measurement {
        let run = root.appendingPathComponent("run-\(count)" + (crop.map { "-\($0)" } ?? ""))
        let cropLine = crop.map { "\ncrop = \"\($0)\"" } ?? ""
        try? FileManager.default.removeItem(at: run)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var csv = "path,mail\n"
        for index in 0..<count {
            csv += "\(photos.appendingPathComponent(PhotoSet.fileName(index)).path),person\(index)@bench.test\n"
        }
        try Data(csv.utf8).write(to: run.appendingPathComponent("map.csv"))
        try Data("""
            [systems.photographer]
            type = "folder"
            path = "\(photos.path)"
            csv = "map.csv"

            [systems.directory]
            type = "folder"
            path = "out/648"\(cropLine)

            [systems.thumbnails]
            type = "folder"
            path = "out/96"
            side = 96
            max_bytes = 10240\(cropLine)
            """.utf8).write(to: run.appendingPathComponent("portrait.toml"))
        let me = Child.benchmarkExecutable
        FileHandle.standardError.write(Data("portrait push: \(count) photos…\n".utf8))
        let push = try Child.run(me, [Child.portraitCommand, "push", "--config", run.appendingPathComponent("portrait.toml").path,
                                      "--from", "photographer", "--to", "directory,thumbnails", "--json"])
        guard push.status == 0 else { throw ValidationError("portrait push exited \(push.status)") }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("out/96").path).count) ?? 0
        guard written == count else { throw ValidationError("expected \(count) thumbnails, found \(written)") }
        let tool = crop.map { "push, faces, crop = \($0)" } ?? "portrait push (648 + 96≤10KB)"
        return Measurement(tool: tool, count: count, seconds: push.seconds, cpuSeconds: push.cpuSeconds, peakMB: push.peakMB)
    }

    /// libvips' own thumbnailer making the 648 crop of the same files: the reference.
    private func vipsthumbnailRun(count: Int, photos: URL, root: URL) throws -> Measurement? {
        guard let tool = Self.which("vipsthumbnail") else {
            FileHandle.standardError.write(Data("vipsthumbnail not found (apt-get install libvips-tools): no reference run\n".utf8))
            return nil
        }
        let out = root.appendingPathComponent("vipsthumbnail-out")
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let files = (0..<count).map { photos.appendingPathComponent(PhotoSet.fileName($0)).path }
        FileHandle.standardError.write(Data("vipsthumbnail: \(count) photos…\n".utf8))
        let reference = try Child.run(tool, ["--size", "648x648", "--smartcrop", "centre", "-o", out.path + "/%s.jpg[Q=90,strip]"] + files)
        guard reference.status == 0 else { throw ValidationError("vipsthumbnail exited \(reference.status)") }
        return Measurement(tool: "vipsthumbnail (648 only)", count: count, seconds: reference.seconds, cpuSeconds: reference.cpuSeconds, peakMB: reference.peakMB)
    }

    private static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
