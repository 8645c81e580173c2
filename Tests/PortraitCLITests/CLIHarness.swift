import Foundation
import TestPhotographs
import PortraitImaging
import Testing

/// Runs the `portrait` executable that `swift build` put beside the tests.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The one JSON object `--json` prints.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not one JSON object: \(stdout)")
        }
    }

    static let executable: URL = {
        var folder = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("portrait")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        fatalError("the portrait executable was not found near \(Bundle.main.bundleURL.path); run `swift build` first")
    }()

    let directory: URL

    /// A crash prints its backtrace on stderr, which failing tests show.
    static let diagnostics = ["SWIFT_BACKTRACE": "enable=yes,interactive=no"]

    @available(*, noasync, message: "an async test awaits `running`, which waits on a Dispatch thread")
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> Result {
        try run(arguments, environment: environment)
    }

    /// `run`, waiting on a Dispatch thread: a test that serves a sandbox in this process must
    /// not block one of Swift concurrency's few threads while the CLI talks to it.
    func running(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try run(arguments, environment: environment, input: input) })
            }
        }
    }

    /// Another program (a browser driver), run as `running` runs portrait.
    func runningTool(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result {
                    try run(arguments, environment: environment, executable: URL(fileURLWithPath: executable))
                })
            }
        }
    }

    /// `input`, when given, is the process's standard input (else it inherits the test's).
    @available(*, noasync, message: "an async test awaits `running`, which waits on a Dispatch thread")
    func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil,
             executable: URL = CLI.executable) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(Self.diagnostics.merging(environment) { $1 }) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        if input != nil { process.standardInput = stdin }
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes while the process runs, so a full pipe cannot block it.
        nonisolated(unsafe) var errData = Data()
        let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A `portrait` process started in the background, to signal or race while it runs.
final class RunningCLI: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    nonisolated(unsafe) private var outData = Data()
    nonisolated(unsafe) private var errData = Data()
    private var readers: [Thread] = []

    init(_ arguments: [String], in directory: URL, environment: [String: String]) throws {
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(CLI.diagnostics.merging(environment) { $1 }) { $1 }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        readers = [Thread { [self] in outData = out.fileHandleForReading.readDataToEndOfFile() },
                   Thread { [self] in errData = err.fileHandleForReading.readDataToEndOfFile() }]
        readers.forEach { $0.start() }
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits (on a Dispatch thread) for the process to end; kills it and fails if it takes
    /// longer than `limit` (a guard against a hang, far above what the run needs).
    func finish(within limit: Duration) async throws -> CLI.Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.waitForExit(within: limit)) }
        }
    }

    private func waitForExit(within limit: Duration) -> CLI.Result {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            Issue.record("portrait did not end within \(limit)")
        }
        process.waitUntilExit()
        while readers.contains(where: { !$0.isFinished }) { usleep(1000) }
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A project folder for one test: photos, a CSV, a portrait.toml; removed afterwards.
final class Workspace {
    let url: URL
    let cli: CLI

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("photos"), withIntermediateDirectories: true)
        cli = CLI(directory: url)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    func write(_ relative: String, _ data: Data) throws {
        let file = path(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
    }

    func write(_ relative: String, _ text: String) throws { try write(relative, Data(text.utf8)) }

    func read(_ relative: String) throws -> Data { try Data(contentsOf: path(relative)) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative).path) }

    /// A small portrait JPEG, different for each seed.
    func portrait(_ relative: String, seed: Int) throws {
        try write(relative, try SamplePortrait.bitmap(seed: seed, width: 300, height: 400).encoded(as: .jpeg(quality: 90, orientation: nil)))
    }

    /// A photographer's folder: `people` portraits mapped by CSV to `mail(index)` — sample
    /// portraits, or one of `kinds` after another; returns its TOML.
    func photographer(people: Int, kinds: [PhotoKind] = [], mail: (Int) -> String) throws -> String {
        var csv = "path,mail\n"
        for index in 0..<people {
            let file: String
            if kinds.isEmpty {
                file = "IMG_\(index).jpg"
                try portrait("photos/\(file)", seed: index)
            } else {
                let kind = kinds[index % kinds.count]
                file = "IMG_\(index).\(kind == .pngWithAlpha ? "png" : "jpg")"
                try write("photos/\(file)", try kind.photo(seed: index))
            }
            csv += "\(file),\(mail(index))\n"
        }
        try write("photos/map.csv", csv)
        return """
            [systems.hr]
            type = "folder"
            path = "photos"
            csv = "photos/map.csv"
            """
    }

    /// The standard set-up: a photographer's folder mapped by CSV, a 648 folder and a 96 ≤ 10 KB folder.
    func standard(people: Int) throws {
        let source = try photographer(people: people) { "person\($0)@example.org" }
        try write("portrait.toml", """
            \(source)

            [systems.large]
            type = "folder"
            path = "out/648"

            [systems.small]
            type = "folder"
            path = "out/96"
            side = 96
            max_bytes = 10240
            """)
    }

    /// Starts `portrait ARGS…` here without waiting, with the Graph sandbox's secret set.
    func start(_ arguments: [String]) throws -> RunningCLI {
        try RunningCLI(arguments, in: url, environment: [Workspace.secretVariable: "sandbox-secret"])
    }

    func push(_ extra: String...) throws -> CLI.Result {
        try cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "large,small", "--json"] + extra)
    }
}

/// `targets.NAME.FIELD` of a push's JSON.
func tally(_ json: [String: Any], _ target: String, _ field: String) -> Int? {
    ((json["targets"] as? [String: Any])?[target] as? [String: Any])?[field] as? Int
}
