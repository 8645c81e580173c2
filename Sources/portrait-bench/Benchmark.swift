import ArgumentParser
import Foundation
import PortraitImaging

/// `make bench`: photographer-sized JPEGs through `portrait push` to a 648 and a 96 ≤ 10 KB
/// folder, against libvips' own `vipsthumbnail` on the same files.
struct Benchmark: ParsableArguments {
    static let childCommand = "run-portrait"

    @Option(help: "How many photos in the full run.")
    var photos = 500

    @Option(help: "A smaller run, to show memory does not grow with the number of photos.")
    var smallRun = 100

    @Option(help: "Width and height of each generated photo.")
    var size = "3000x4000"

    @Option(help: "Where generated photos and outputs are kept between runs.")
    var work = ".build/bench"

    func measure() async throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size is WIDTHxHEIGHT") }
        let root = URL(fileURLWithPath: work).standardizedFileURL
        let photoFolder = root.appendingPathComponent("photos-\(size)")
        try generate(count: photos, width: parts[0], height: parts[1], into: photoFolder)

        var rows: [Measurement] = []
        for count in Set([smallRun, photos]).sorted() where count <= photos {
            rows.append(try pushRun(count: count, photos: photoFolder, root: root))
        }
        let reference = try vipsthumbnailRun(count: photos, photos: photoFolder, root: root)
        print("")
        print("photos  tool                          seconds  photos/s  peak RSS")
        for row in rows + [reference].compactMap({ $0 }) {
            print(String(format: "%6d  %-28@ %8.2f  %8.2f  %6.1f MB", row.count, row.tool as NSString, row.seconds, row.rate, row.peakMB))
        }
        if let reference, let full = rows.last {
            print(String(format: "\nportrait push reaches %.0f%% of vipsthumbnail's throughput (goal: at least 80%%).", 100 * full.rate / reference.rate))
        }
        if let small = rows.first, let full = rows.last, rows.count > 1 {
            print(String(format: "Peak RSS %.1f MB at %d photos, %.1f MB at %d (goal: under 250 MB and flat).", small.peakMB, small.count, full.peakMB, full.count))
        }
    }

    struct Measurement {
        var tool: String
        var count: Int
        var seconds: Double
        var peakMB: Double
        var rate: Double { Double(count) / seconds }
    }

    /// Makes the missing photos, on every core; kept for the next run.
    private func generate(count: Int, width: Int, height: Int, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let missing = (0..<count).filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent(Self.fileName($0)).path) }
        guard !missing.isEmpty else { return }
        FileHandle.standardError.write(Data("Generating \(missing.count) \(width)×\(height) JPEGs in \(folder.path)…\n".utf8))
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: missing.count) { position in
            let index = missing[position]
            do {
                let data = try SamplePortrait.bitmap(seed: index, width: width, height: height).encoded(as: .jpeg(quality: 90, orientation: nil))
                try data.write(to: folder.appendingPathComponent(Self.fileName(index)), options: .atomic)
            } catch {
                failures.add("\(error)")
            }
        }
        if let first = failures.first { throw ValidationError("generating photos failed: \(first)") }
    }

    static func fileName(_ index: Int) -> String { String(format: "person%05d@bench.test.jpg", index) }

    /// `portrait push` of the first `count` photos into empty targets with an empty store.
    private func pushRun(count: Int, photos: URL, root: URL) throws -> Measurement {
        let run = root.appendingPathComponent("run-\(count)")
        try? FileManager.default.removeItem(at: run)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var csv = "path,mail\n"
        for index in 0..<count {
            csv += "\(photos.appendingPathComponent(Self.fileName(index)).path),person\(index)@bench.test\n"
        }
        try Data(csv.utf8).write(to: run.appendingPathComponent("map.csv"))
        try Data("""
            [systems.photographer]
            type = "folder"
            path = "\(photos.path)"
            csv = "map.csv"

            [systems.directory]
            type = "folder"
            path = "out/648"

            [systems.thumbnails]
            type = "folder"
            path = "out/96"
            side = 96
            max_bytes = 10240
            """.utf8).write(to: run.appendingPathComponent("portrait.toml"))
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        FileHandle.standardError.write(Data("portrait push: \(count) photos…\n".utf8))
        let (seconds, peak, status) = try measure(me, [Self.childCommand, "push", "--config", run.appendingPathComponent("portrait.toml").path,
                                                       "--from", "photographer", "--to", "directory,thumbnails", "--json"])
        guard status == 0 else { throw ValidationError("portrait push exited \(status)") }
        let written = (try? FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("out/96").path).count) ?? 0
        guard written == count else { throw ValidationError("expected \(count) thumbnails, found \(written)") }
        return Measurement(tool: "portrait push (648 + 96≤10KB)", count: count, seconds: seconds, peakMB: peak)
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
        let files = (0..<count).map { photos.appendingPathComponent(Self.fileName($0)).path }
        FileHandle.standardError.write(Data("vipsthumbnail: \(count) photos…\n".utf8))
        let (seconds, peak, status) = try measure(tool, ["--size", "648x648", "--smartcrop", "centre", "-o", out.path + "/%s.jpg[Q=90,strip]"] + files)
        guard status == 0 else { throw ValidationError("vipsthumbnail exited \(status)") }
        return Measurement(tool: "vipsthumbnail (648 only)", count: count, seconds: seconds, peakMB: peak)
    }

    /// Wall time, peak resident memory (MB) and exit status of one child process.
    private func measure(_ executable: String, _ arguments: [String]) throws -> (Double, Double, Int32) {
        let started = Date()
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
            throw ValidationError("cannot start \(executable)")
        }
        // ru_maxrss would carry this process's own high-water mark into the child across exec,
        // so the child's memory is read from /proc while it runs: VmHWM is its own peak.
        var peakKB = 0
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            peakKB = max(peakKB, Self.peakResidentKB(of: pid) ?? 0)
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(started)
        return (seconds, Double(peakKB) / 1024, (status >> 8) & 0xff)
    }

    private static func peakResidentKB(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return line.split(separator: " ").compactMap { Int($0) }.first
    }

    private static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Errors from concurrent generation.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var first: String? { lock.withLock { messages.first } }
}
