import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitStore

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download every photo of a system into a folder, with a manifest.csv; a re-run fetches only what changed."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "The system to download from.")
    var from: String

    @Option(name: .long, help: "The folder to download into (created if needed).")
    var out: String

    func run() async throws {
        Terminal.startLogging(verbose: common.verbose)
        let report: PullEngine.Report
        do {
            let config = try common.loadConfig()
            let source = try config.system(named: from)
            let lock = try RunLock(store: config.storePath.path, command: common.commandLine)
            let stop = StopSignal()
            Interrupts.stopGracefully(stop)
            let store = try Store(path: config.storePath.path)
            let bar = ProgressBar(verbose: common.verbose)
            report = try await PullEngine(store: store).pull(from: source, into: URL(fileURLWithPath: out).standardizedFileURL, stop: stop, progress: bar.update)
            bar.end()
            withExtendedLifetime(lock) {}
        } catch {
            throw fail("pull", error, json: common.json)
        }
        let status: ExitStatus = report.interrupted ? .interrupted
            : report.unreachable != nil ? .unreachable : report.failed > 0 ? .someFailed : .success
        if common.json {
            Terminal.json(PullJSON(report, exitCode: status.rawValue))
        } else {
            Terminal.out(ReportText.pull(report, into: out))
        }
        if report.interrupted {
            Terminal.err("Interrupted after \(report.people) of \(ReportText.people(report.listed)); run the same command to resume.")
        }
        if status != .success { throw CommandExit(status: status) }
    }
}

/// The `--json` object of `portrait pull`.
struct PullJSON: Encodable {
    var command = "pull"
    var source: String
    var downloaded: Int
    var unchanged: Int
    var withoutPhoto: Int
    var failed: Int
    var errors: [ReportedProblem]
    var unreachable: String?
    var interrupted: Bool
    var seconds: Double
    var exitCode: Int32

    init(_ report: PullEngine.Report, exitCode: Int32) {
        source = report.source
        downloaded = report.downloaded
        unchanged = report.unchanged
        withoutPhoto = report.withoutPhoto
        failed = report.failed
        errors = report.errors
        unreachable = report.unreachable
        interrupted = report.interrupted
        seconds = (report.seconds * 1000).rounded() / 1000
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case command, source, downloaded, unchanged, failed, errors, unreachable, interrupted, seconds
        case withoutPhoto = "without_photo"
        case exitCode = "exit_code"
    }
}
