import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitImaging
import PortraitStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per system: people, with a photo, showing the approved photo, showing another, without one; the queue; the last run.",
        discussion: "As of the last sync: status asks no system anything. --html writes one page to keep or print: the summary, then the approved photo beside each system's for everyone whose systems disagree."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Also write the status as one self-contained HTML page to this file.")
    var html: String?

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let policy = try config.requireSyncPolicy()
            let store = try existingStore(config)
            let status = try await SyncStatus(store: store, policy: policy)
            if let html {
                let page = StatusPage(status: status, store: store, pipeline: ImagePipeline(maxInputBytes: config.maxInputBytes)).html(at: Date())
                try write(page, to: html)
            }
            if common.json {
                Terminal.json(StatusJSON(status, html: html))
                return
            }
            let waiting = status.waiting
            Terminal.out("\(ReportText.people(status.peopleWithApproved)) with an approved photo; \(waiting) waiting for approval\(waiting > 0 ? " (portrait queue)" : "").")
            Terminal.out("")
            Terminal.out(ReportText.table([["system", "people", "with photo", "approved", "other", "without", "too small", "not seen"]] + status.systems.map {
                [$0.name, "\($0.people)", "\($0.withPhoto)", "\($0.showingApproved)", "\($0.showingOther)", "\($0.withoutPhoto)", "\($0.tooSmall)", "\($0.unknown)"]
            }).joined(separator: "\n"))
            Terminal.out("")
            Terminal.out(status.lastRun.map { "Last sync: " + LogCommand.line($0) } ?? "No sync has run yet.")
            if let html {
                Terminal.out("Wrote \(html): \(ReportText.people(status.disagreeing.count)) whose systems disagree.")
            }
        } catch {
            throw fail("status", error, json: common.json)
        }
    }
}

extension StatusCommand {
    /// Writes the page, saying in the user's terms what stands in the way.
    func write(_ page: String, to path: String) throws {
        let file = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), isFolder.boolValue {
            throw UsageError(description: "--html \(path) is a folder: give a file name, such as \(file.appendingPathComponent("status.html").path)")
        }
        let folder = file.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw UsageError(description: "--html \(path): the folder \(folder.path) does not exist; create it or choose another")
        }
        do {
            try Data(page.utf8).write(to: file, options: .atomic)
        } catch {
            throw UsageError(description: "--html \(path): cannot write there; check the folder's permissions and free space")
        }
    }
}

/// The `--json` object of `portrait status`.
struct StatusJSON: Encodable {
    var command = "status"
    var peopleWithApprovedPhoto: Int
    var systems: [SyncStatus.System]
    var waiting: Int
    var disagreeing: Int
    var lastRun: LogJSON.Run?
    /// The page `--html` wrote.
    var html: String?

    init(_ status: SyncStatus, html: String?) {
        peopleWithApprovedPhoto = status.peopleWithApproved
        systems = status.systems
        waiting = status.waiting
        disagreeing = status.disagreeing.count
        lastRun = status.lastRun.map(LogJSON.Run.init)
        self.html = html
    }

    enum CodingKeys: String, CodingKey {
        case command, systems, waiting, disagreeing, html
        case peopleWithApprovedPhoto = "people_with_approved_photo"
        case lastRun = "last_run"
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "A person's audit trail: every photo approved, queued, rejected, written and replaced, where and when."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "The person, by mail, UPN, employee id or logon name.")
    var person: String

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let store = try existingStore(config)
            let id = try await PortraitApp.person(named: person, in: store)
            let who = try await store.personLabel(id)
            let photos = try await store.personPhotos(of: id)
            let entries = try await store.auditEntries(person: id)
            if common.json {
                Terminal.json(HistoryJSON(person: who, photos: photos.map { .init($0, file: store.photos.file($0.sha256)?.path) },
                                          entries: entries.map(LogJSON.Entry.init)))
                return
            }
            Terminal.out("\(who):")
            for photo in photos {
                let decided = photo.decidedBy.map { " by \($0)" } ?? ""
                Terminal.out("  photo \(photo.sha256.prefix(12)) from \(photo.source), first seen \(LogCommand.time(photo.firstSeen)): \(photo.status.rawValue)\(decided)\(photo.reason.map { " — \($0)" } ?? "")")
            }
            if photos.isEmpty { Terminal.out("  no photos kept yet") }
            Terminal.out("")
            for entry in entries {
                let detail = entry.detail.map { " — \($0)" } ?? ""
                Terminal.out("  \(LogCommand.time(entry.at))  \(entry.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(entry.system)\(detail)")
            }
        } catch {
            throw fail("history", error, json: common.json)
        }
    }
}

/// The `--json` object of `portrait history`.
struct HistoryJSON: Encodable {
    struct Photo: Encodable {
        var photo, source, status: String
        var firstSeen: Date
        var reason, decidedBy, file: String?

        init(_ photo: PersonPhoto, file: String?) {
            (self.photo, source, status, firstSeen) = (photo.sha256, photo.source, photo.status.rawValue, photo.firstSeen)
            (reason, decidedBy, self.file) = (photo.reason, photo.decidedBy, file)
        }

        enum CodingKeys: String, CodingKey {
            case photo, source, status, reason, file
            case firstSeen = "first_seen"
            case decidedBy = "decided_by"
        }
    }

    var command = "history"
    var person: String
    var photos: [Photo]
    var entries: [LogJSON.Entry]
}
