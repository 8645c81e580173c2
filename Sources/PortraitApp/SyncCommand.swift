import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitImaging
import PortraitSettings
import PortraitStore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Keep each person's approved photo in every target, as [sync] in portrait.toml says.",
        discussion: "A dry run is the plan: per person, what would change where, and why."
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Write nothing; print the plan.")
    var dryRun = false

    @Option(name: .long, help: "Only this person (a mail, UPN, employee id or logon name); repeat for more.")
    var person: [String] = []

    func run() async throws {
        Terminal.startLogging(verbose: common.verbose)
        let report: SyncReport
        do {
            let config = try common.loadConfig()
            let policy = try config.requireSyncPolicy()
            let systems = try config.syncSystems(policy)
            let lock = dryRun ? nil : try RunLock(store: config.storePath.path, command: common.commandLine)
            let store = dryRun ? try Store(inMemoryCopyOf: config.storePath.path) : try Store(path: config.storePath.path)
            if lock != nil { try await store.closeAbandonedRuns() }
            let stop = StopSignal()
            Interrupts.stopGracefully(stop)
            let bar = ProgressBar(verbose: common.verbose)
            report = try await SyncEngine(store: store, pipeline: ImagePipeline(maxInputBytes: config.maxInputBytes)).sync(
                systems: systems, policy: policy, options: .init(dryRun: dryRun, people: Set(person), stop: stop), progress: bar.update)
            bar.end()
            withExtendedLifetime(lock) {}
        } catch {
            throw fail("sync", error, json: common.json)
        }
        let status: ExitStatus = report.interrupted ? .interrupted
            : !report.unreachable.isEmpty ? .unreachable : report.hasFailures ? .someFailed : .success
        if common.json {
            Terminal.json(SyncJSON(report, exitCode: status.rawValue))
        } else {
            Terminal.out(ReportText.sync(report))
        }
        if report.interrupted {
            Terminal.err("Interrupted after \(report.done) of \(ReportText.people(report.people)); run sync again to finish.")
        }
        if status != .success { throw CommandExit(status: status) }
    }
}

extension PortraitConfig {
    func requireSyncPolicy() throws -> SyncPolicy {
        guard let syncPolicy else {
            throw ConfigError(file: file.path, line: nil, key: "sync",
                              message: "no [sync] table: add one naming `sources` and `targets` (README, \"portrait sync\")")
        }
        return syncPolicy
    }

    /// Every system `policy` names, built from its table; a target as a system photos are written to.
    func syncSystems(_ policy: SyncPolicy) throws -> [String: any PhotoSystem] {
        var systems: [String: any PhotoSystem] = [:]
        for name in policy.systems {
            systems[name] = policy.targets.contains(name) ? try target(named: name) : try system(named: name)
        }
        return systems
    }
}

/// The `--json` object of `portrait sync`: a stable contract, documented in README.md.
struct SyncJSON: Encodable {
    var command = "sync"
    var dryRun: Bool
    var people: Int
    var changes: [SyncReport.Change]
    var targets: [String: TargetTally]
    var queued: Int
    var waiting: Int
    var foundAtStart: [String: SyncReport.FoundAtStart]
    var errors: [ReportedProblem]
    var warnings: [ReportedProblem]
    var unreachable: [String: String]
    var interrupted: Bool
    var runId: Int64?
    var seconds: Double
    var exitCode: Int32

    init(_ report: SyncReport, exitCode: Int32) {
        dryRun = report.dryRun
        people = report.people
        changes = report.changes
        targets = report.targets
        queued = report.queued
        waiting = report.waiting
        foundAtStart = report.foundAtStart
        errors = report.errors
        warnings = report.warnings
        unreachable = report.unreachable
        interrupted = report.interrupted
        runId = report.runId
        seconds = (report.seconds * 1000).rounded() / 1000
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case command, people, changes, targets, queued, waiting, errors, warnings, unreachable, interrupted, seconds
        case dryRun = "dry_run"
        case runId = "run_id"
        case exitCode = "exit_code"
        case foundAtStart = "first_sync"
    }
}
