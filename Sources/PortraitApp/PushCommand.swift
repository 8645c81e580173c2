import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitImaging
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

    @Option(name: .long, help: "Only this person (a mail, UPN or employee id); repeat for more.")
    var only: [String] = []

    @Flag(name: .long, help: "Photos against [guidelines] in portrait.toml are failures and not written (else warnings).")
    var strict = false

    func run() async throws {
        Terminal.startLogging(verbose: common.verbose)
        let report: PushReport
        do {
            let config = try common.loadConfig()
            if strict, config.guidelines == nil {
                throw UsageError(description: "--strict checks photos against [guidelines], and \(config.file.path) has none; add a [guidelines] table (README: Faces and photo guidelines)")
            }
            let targetNames = try Self.targetNames(to, source: from)
            let source = try config.system(named: from)
            let targets = try targetNames.map { try config.target(named: $0) }
            let lock = dryRun ? nil : try RunLock(store: config.storePath.path, command: common.commandLine)
            let store = dryRun
                ? try Store(inMemoryCopyOf: config.storePath.path)
                : try Store(path: config.storePath.path)
            if lock != nil { try await store.closeAbandonedRuns() }
            let stop = StopSignal()
            Interrupts.stopGracefully(stop)
            let bar = ProgressBar(verbose: common.verbose)
            report = try await PushEngine(store: store, pipeline: ImagePipeline(maxInputBytes: config.maxInputBytes)).push(
                from: source, to: targets, options: .init(dryRun: dryRun, force: force, only: Set(only), stop: stop, guidelines: config.guidelines, strict: strict),
                progress: bar.update)
            bar.end()
            withExtendedLifetime(lock) {}
        } catch {
            throw fail("push", error, json: common.json)
        }

        let status: ExitStatus = report.interrupted ? .interrupted
            : !report.unreachable.isEmpty ? .unreachable : report.hasFailures ? .someFailed : .success
        if common.json {
            Terminal.json(PushJSON(report, exitCode: status.rawValue))
        } else {
            Terminal.out(ReportText.push(report))
        }
        if report.interrupted {
            Terminal.err("Interrupted after \(report.done) of \(ReportText.people(report.people)); run the same command\(force ? " without --force" : "") to resume.")
        }
        if status != .success { throw CommandExit(status: status) }
    }

    /// `--to`'s names, each once, none of them the source.
    static func targetNames(_ list: String, source: String) throws -> [String] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw UsageError(description: "--to names no system; give the targets separated by commas") }
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw UsageError(description: "--to names \(twice) twice; name each target once")
        }
        if names.contains(source) {
            throw UsageError(description: "\(source) cannot be both the source (--from) and a target (--to)")
        }
        return names
    }
}

/// The `--json` object of `portrait push`: a stable contract, documented in README.md.
struct PushJSON: Encodable {
    struct Item: Encodable {
        var person: String
        var system: String
        var action: String
        var message: String?
    }

    var command = "push"
    var source: String
    var dryRun: Bool
    var targets: [String: TargetTally]
    var items: [Item]
    var errors: [ReportedProblem]
    var warnings: [ReportedProblem]
    var replaced: [ReportedProblem]
    var restored: [ReportedProblem]
    var noFace: [String]
    var unreachable: [String: String]
    var people: Int
    var done: Int
    var interrupted: Bool
    var runId: Int64?
    var seconds: Double
    var exitCode: Int32

    init(_ report: PushReport, exitCode: Int32) {
        source = report.source
        dryRun = report.dryRun
        targets = report.targets
        items = report.items.map { Item(person: $0.person, system: $0.system, action: $0.action.rawValue, message: $0.message) }
        errors = report.errors
        warnings = report.warnings
        replaced = report.replaced
        restored = report.restored
        noFace = report.noFace.sorted()
        unreachable = report.unreachable
        people = report.people
        done = report.done
        interrupted = report.interrupted
        runId = report.runId
        seconds = (report.seconds * 1000).rounded() / 1000
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case command, source, targets, items, errors, warnings, replaced, restored, unreachable, people, done, interrupted, seconds
        case dryRun = "dry_run"
        case noFace = "no_face"
        case runId = "run_id"
        case exitCode = "exit_code"
    }
}
