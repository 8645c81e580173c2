import ArgumentParser
import Foundation
import PortraitStore

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print a run's audit entries (the latest run's without RUN), or with --list the recent runs."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The run's number, as push reports it.")
    var run: Int64?

    @Flag(name: .long, help: "List the recent runs instead.")
    var list = false

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let exists = FileManager.default.fileExists(atPath: config.storePath.path)
            if list {
                let runs = exists ? try await Store(path: config.storePath.path).runs() : []
                if !common.json && runs.isEmpty { Terminal.out("No runs yet.") }
                if common.json {
                    Terminal.json(LogJSON(runs: runs.map(LogJSON.Run.init)))
                } else {
                    for run in runs { Terminal.out(Self.line(run)) }
                }
                return
            }
            guard exists else { throw UsageError(description: "no store at \(config.storePath.path) yet: nothing has run") }
            let store = try Store(path: config.storePath.path)
            let chosen: RunRecord? = if let run { try await store.run(run) } else { try await store.runs(limit: 1).first }
            guard let chosen else {
                throw UsageError(description: run.map { "there is no run \($0); `portrait log --list` shows the runs" } ?? "no run yet")
            }
            let entries = try await store.auditEntries(run: chosen.id)
            if common.json {
                Terminal.json(LogJSON(run: LogJSON.Run(chosen), entries: entries.map(LogJSON.Entry.init)))
            } else {
                Terminal.out(Self.line(chosen))
                if entries.isEmpty { Terminal.out("  nothing written") }
                for entry in entries {
                    let detail = entry.detail.map { " — \($0)" } ?? ""
                    let width = entries.map(\.system.count).max() ?? 0
                    Terminal.out("  \(Self.time(entry.at))  \(entry.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(entry.system.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.person)\(detail)")
                }
            }
        } catch {
            throw fail("log", error, json: common.json)
        }
    }

    static func line(_ run: RunRecord) -> String {
        "Run \(run.id): \(run.command) from \(run.source) to \(run.targets.joined(separator: ", ")), \(time(run.startedAt)), \(run.outcome ?? "running")\(run.summary.map { " — \($0)" } ?? "")"
    }

    static func time(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .current, formatOptions: [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime])
    }
}

/// The `--json` object of `portrait log`.
struct LogJSON: Encodable {
    struct Run: Encodable {
        var id: Int64
        var command, source: String
        var targets: [String]
        var startedAt: Date
        var finishedAt: Date?
        var outcome, summary: String?

        init(_ run: RunRecord) {
            (id, command, source, targets) = (run.id, run.command, run.source, run.targets)
            (startedAt, finishedAt, outcome, summary) = (run.startedAt, run.finishedAt, run.outcome, run.summary)
        }

        enum CodingKeys: String, CodingKey {
            case id, command, source, targets, outcome, summary
            case startedAt = "started_at"
            case finishedAt = "finished_at"
        }
    }

    struct Entry: Encodable {
        var at: Date
        var system, accountId, person, action: String
        var hashBefore, hashAfter, detail: String?

        init(_ entry: AuditEntry) {
            (at, system, accountId, person, action) = (entry.at, entry.system, entry.accountId, entry.person, entry.action.rawValue)
            (hashBefore, hashAfter, detail) = (entry.hashBefore, entry.hashAfter, entry.detail)
        }

        enum CodingKeys: String, CodingKey {
            case at, system, person, action, detail
            case accountId = "account_id"
            case hashBefore = "hash_before"
            case hashAfter = "hash_after"
        }
    }

    var command = "log"
    var run: Run?
    var runs: [Run]?
    var entries: [Entry]?
}
