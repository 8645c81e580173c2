import ArgumentParser
import Foundation
import PortraitCore
import PortraitStore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per system: people, with a photo, showing the approved photo, showing another, without one; the queue; the last run.",
        discussion: "As of the last sync: status asks no system anything."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let policy = try config.requireSyncPolicy()
            let store = try existingStore(config)
            let approved = try await store.personPhotos().compactMapValues { $0.first { $0.status == .approved }?.sha256 }
            let sizes = try await store.photoSizes()
            var systems: [StatusJSON.System] = []
            for name in policy.systems {
                var counts = StatusJSON.System(name: name)
                for row in try await store.accountPhotos(system: name) {
                    counts.people += 1
                    // What a sync saw there, else what Portrait wrote there.
                    let shown: String?? = row.seen ?? row.written.map { .some($0) }
                    switch shown {
                    case .none: counts.unknown += 1
                    case .some(.none): counts.withoutPhoto += 1
                    case .some(.some(let sha)):
                        counts.withPhoto += 1
                        if sha == approved[row.personId] { counts.showingApproved += 1 } else { counts.showingOther += 1 }
                        if let size = sizes[sha], min(size.width, size.height) < policy.minSide { counts.tooSmall += 1 }
                    }
                }
                systems.append(counts)
            }
            let waiting = try await store.waitingPhotos().count
            let lastRun = try await store.runs(limit: 20).first { $0.command == "sync" }
            let people = Set(approved.keys).count
            if common.json {
                Terminal.json(StatusJSON(peopleWithApprovedPhoto: people, systems: systems, waiting: waiting, lastRun: lastRun.map(LogJSON.Run.init)))
                return
            }
            Terminal.out("\(ReportText.people(people)) with an approved photo; \(waiting) waiting for approval\(waiting > 0 ? " (portrait queue)" : "").")
            Terminal.out("")
            Terminal.out(ReportText.table([["system", "people", "with photo", "approved", "other", "without", "too small", "not seen"]] + systems.map {
                [$0.name, "\($0.people)", "\($0.withPhoto)", "\($0.showingApproved)", "\($0.showingOther)", "\($0.withoutPhoto)", "\($0.tooSmall)", "\($0.unknown)"]
            }).joined(separator: "\n"))
            Terminal.out("")
            Terminal.out(lastRun.map { "Last sync: " + LogCommand.line($0) } ?? "No sync has run yet.")
        } catch {
            throw fail("status", error, json: common.json)
        }
    }
}

/// The `--json` object of `portrait status`.
struct StatusJSON: Encodable {
    struct System: Encodable {
        var name: String
        var people = 0, withPhoto = 0, showingApproved = 0, showingOther = 0, withoutPhoto = 0, tooSmall = 0
        /// Linked accounts no sync has read (a target Portrait never wrote to).
        var unknown = 0

        enum CodingKeys: String, CodingKey {
            case name, people, unknown
            case withPhoto = "with_photo"
            case showingApproved = "showing_approved"
            case showingOther = "showing_other"
            case withoutPhoto = "without_photo"
            case tooSmall = "too_small"
        }
    }

    var command = "status"
    var peopleWithApprovedPhoto: Int
    var systems: [System]
    var waiting: Int
    var lastRun: LogJSON.Run?

    enum CodingKeys: String, CodingKey {
        case command, systems, waiting
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
            let who = label(try await store.personKeys(id), id: id)
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
