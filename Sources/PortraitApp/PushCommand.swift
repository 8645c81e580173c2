import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitStore

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Render each mapped person's photo from a source and write it to every target."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "The system to read photos from.")
    var from: String

    @Option(name: .long, help: "The systems to write to, separated by commas.")
    var to: String

    @Flag(name: .long, help: "Write nothing; report what would happen.")
    var dryRun = false

    @Flag(name: .long, help: "Write even photos that have not changed since the last push.")
    var force = false

    func run() async throws {
        let report: PushReport
        do {
            let config = try common.loadConfig()
            let source = try config.system(named: from)
            let targetNames = to.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !targetNames.isEmpty else { throw ValidationError("--to names no system") }
            if targetNames.contains(from) {
                throw ConfigError(file: config.file.path, line: nil, key: "", message: "\(from) cannot be both the source and a target")
            }
            let targets = try targetNames.map { try config.target(named: $0) }
            let store = dryRun
                ? try Store(inMemoryCopyOf: config.storePath.path)
                : try Store(path: config.storePath.path)
            let bar = ProgressBar()
            report = try await PushEngine(store: store).push(
                from: source, to: targets, options: .init(dryRun: dryRun, force: force), progress: bar.update)
            bar.end()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("push", error, json: common.json)
        }

        let status: ExitStatus = report.hasFailures ? .someFailed : .success
        if common.json {
            Terminal.json(PushJSON(report, exitCode: status.rawValue))
        } else {
            Terminal.out(ReportText.push(report))
        }
        if status != .success { throw CommandExit(status: status) }
    }
}

/// The `--json` object of `portrait push`: a stable contract, documented in README.md.
struct PushJSON: Encodable {
    var command = "push"
    var source: String
    var dryRun: Bool
    var targets: [String: TargetTally]
    var errors: [ReportedProblem]
    var warnings: [ReportedProblem]
    var replaced: [ReportedProblem]
    var people: Int
    var runId: Int64?
    var seconds: Double
    var exitCode: Int32

    init(_ report: PushReport, exitCode: Int32) {
        source = report.source
        dryRun = report.dryRun
        targets = report.targets
        errors = report.errors
        warnings = report.warnings
        replaced = report.replaced
        people = report.people
        runId = report.runId
        seconds = (report.seconds * 1000).rounded() / 1000
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case command, source, targets, errors, warnings, replaced, people, seconds
        case dryRun = "dry_run"
        case runId = "run_id"
        case exitCode = "exit_code"
    }
}
