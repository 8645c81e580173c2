import ArgumentParser
import Foundation
import PortraitCore
import PortraitEngine
import PortraitStore

/// The store of a command that reads or decides, never syncs: it must exist already.
func existingStore(_ config: PortraitConfig) throws -> Store {
    guard FileManager.default.fileExists(atPath: config.storePath.path) else {
        throw UsageError(description: "no store at \(config.storePath.path) yet: run `portrait sync` first")
    }
    return try Store(path: config.storePath.path)
}

/// The one person a command-line name (mail, UPN, employee id, logon name) means.
func person(named key: String, in store: Store) async throws -> Int64 {
    let found = try await store.findPeople(key)
    guard let id = found.first else { throw UsageError(description: "nobody in the store has the mail, UPN, employee id or logon name \(key); check the spelling, or run sync first") }
    guard found.count == 1 else { throw UsageError(description: "\(found.count) people have \(key); name one by another key (employee id, UPN)") }
    return id
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List the photos waiting for approval, with where to see each beside the approved one."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let store = try existingStore(config)
            let items = try await ApprovalDesk(store: store).waiting().map { waiting in
                QueueJSON.Item(person: waiting.person, source: waiting.source, firstSeen: waiting.firstSeen, reason: waiting.reason,
                               photo: store.photos.file(waiting.photo)?.path ?? waiting.photo,
                               approvedPhoto: waiting.approvedPhoto.flatMap { store.photos.file($0)?.path })
            }
            if common.json {
                Terminal.json(QueueJSON(waiting: items))
                return
            }
            guard !items.isEmpty else {
                Terminal.out("Nothing waits for approval.")
                return
            }
            Terminal.out("\(items.count) photo\(items.count == 1 ? "" : "s") waiting for approval (approve or reject by mail, UPN or employee id):")
            for item in items {
                Terminal.out("")
                Terminal.out("  \(item.person) — from \(item.source), first seen \(LogCommand.time(item.firstSeen)): \(item.reason)")
                Terminal.out("    waiting:  \(item.photo)")
                Terminal.out("    approved: \(item.approvedPhoto ?? "none yet")")
            }
            Terminal.out("")
            Terminal.out("portrait approve PERSON…  |  portrait reject PERSON… --reason TEXT")
        } catch {
            throw fail("queue", error, json: common.json)
        }
    }
}

/// The `--json` object of `portrait queue`.
struct QueueJSON: Encodable {
    struct Item: Encodable {
        var person, source: String
        var firstSeen: Date
        var reason, photo: String
        var approvedPhoto: String?

        enum CodingKeys: String, CodingKey {
            case person, source, reason, photo
            case firstSeen = "first_seen"
            case approvedPhoto = "approved_photo"
        }

        /// `approved_photo` is null when the person has none yet, rather than missing.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(person, forKey: .person)
            try container.encode(source, forKey: .source)
            try container.encode(firstSeen, forKey: .firstSeen)
            try container.encode(reason, forKey: .reason)
            try container.encode(photo, forKey: .photo)
            try container.encode(approvedPhoto, forKey: .approvedPhoto)
        }
    }

    var command = "queue"
    var waiting: [Item]
}

/// What `approve`, `reject` and `reopen` share: each named person's photo, decided (or the
/// decision undone) and audited.
struct Decision {
    enum Verdict: String {
        case approved, rejected, reopened
    }

    let verdict: Verdict
    let people: [String]
    let reason: String?
    let by: String
    let common: CommonOptions

    func run() async throws {
        let command = switch verdict {
        case .approved: "approve"
        case .rejected: "reject"
        case .reopened: "reopen"
        }
        var decided: [DecisionJSON.Item] = []
        var errors: [ReportedProblemJSON] = []
        do {
            let config = try common.loadConfig()
            let store = try existingStore(config)
            let desk = ApprovalDesk(store: store)
            for name in people {
                do {
                    let id = try await person(named: name, in: store)
                    let done = switch verdict {
                    case .approved: try await desk.decide(.approved, person: id, by: by, reason: reason)
                    case .rejected: try await desk.decide(.rejected, person: id, by: by, reason: reason)
                    case .reopened: try await desk.reopen(person: id, by: by, reason: reason)
                    }
                    decided.append(.init(person: done.person, source: done.source, photo: done.photo))
                } catch let error as ApprovalDesk.NothingWaiting {
                    errors.append(.init(person: name, message: error.description))
                } catch let error as ApprovalDesk.NothingDecided {
                    errors.append(.init(person: name, message: error.description))
                } catch let error as StoreError {
                    errors.append(.init(person: name, message: error.description))
                } catch let error as UsageError {
                    errors.append(.init(person: name, message: error.description))
                }
            }
        } catch {
            throw fail(command, error, json: common.json)
        }
        if common.json {
            Terminal.json(DecisionJSON(command: command, decided: decided, errors: errors, exitCode: errors.isEmpty ? 0 : ExitStatus.someFailed.rawValue))
        } else {
            for item in decided {
                Terminal.out("\(item.person): \(verdict.rawValue) the photo from \(item.source)\(verdict == .reopened ? ": it waits again" : "")")
            }
            for error in errors { Terminal.err("error: \(error.person): \(error.message)") }
            if !decided.isEmpty {
                let one = decided.count == 1
                let next = switch verdict {
                case .approved: "The next sync publishes \(one ? "it" : "them") to every target."
                case .rejected: "The next sync puts the approved photo back where \(one ? "it was" : "they were") made."
                case .reopened: "\(one ? "It waits" : "They wait") for a decision again: portrait queue."
                }
                Terminal.out(next)
            }
        }
        if !errors.isEmpty { throw CommandExit(status: .someFailed) }
    }

    /// Who decides when `--by` is not given: the signed-in OS user.
    static var osUser: String {
        // The account the process runs as (cron and systemd set no $USER).
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "uid \(geteuid())"
    }
}

struct ReportedProblemJSON: Encodable {
    var person, message: String
}

/// The `--json` object of `portrait approve` and `portrait reject`.
struct DecisionJSON: Encodable {
    struct Item: Encodable {
        var person, source, photo: String
    }

    var command: String
    var decided: [Item]
    var errors: [ReportedProblemJSON]
    var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case command, decided, errors
        case exitCode = "exit_code"
    }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve each named person's waiting photo; the next sync publishes it."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "People, by mail, UPN, employee id or logon name.")
    var people: [String]

    @Option(name: .long, help: "Why, for the audit log.")
    var reason: String?

    @Option(name: .long, help: "Who decides, for the audit log (default: the OS user).")
    var by: String?

    func validate() throws {
        guard !people.isEmpty else { throw ValidationError("name at least one person") }
        if let tooLong = reason.flatMap(ApprovalDesk.lengthProblem) { throw ValidationError("--reason \(tooLong)") }
    }

    func run() async throws {
        try await Decision(verdict: .approved, people: people, reason: reason, by: by ?? Decision.osUser, common: common).run()
    }
}

struct RejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Reject each named person's waiting photo; the next sync puts the approved one back where it was made."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "People, by mail, UPN, employee id or logon name.")
    var people: [String]

    @Option(name: .long, help: "Why (required: it is recorded and shown in history).")
    var reason: String

    @Option(name: .long, help: "Who decides, for the audit log (default: the OS user).")
    var by: String?

    func validate() throws {
        guard !people.isEmpty else { throw ValidationError("name at least one person") }
        guard ApprovalDesk.reason(reason) != nil else { throw ValidationError("--reason must say why") }
        if let tooLong = ApprovalDesk.lengthProblem(reason) { throw ValidationError("--reason \(tooLong)") }
    }

    func run() async throws {
        try await Decision(verdict: .rejected, people: people, reason: reason, by: by ?? Decision.osUser, common: common).run()
    }
}

struct ReopenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen",
        abstract: "Undo each named person's last approval or rejection: the photo waits for a decision again."
    )

    @OptionGroup var common: CommonOptions

    @Argument(help: "People, by mail, UPN, employee id or logon name.")
    var people: [String]

    @Option(name: .long, help: "Why, for the audit log.")
    var reason: String?

    @Option(name: .long, help: "Who reopens, for the audit log (default: the OS user).")
    var by: String?

    func validate() throws {
        guard !people.isEmpty else { throw ValidationError("name at least one person") }
        if let tooLong = reason.flatMap(ApprovalDesk.lengthProblem) { throw ValidationError("--reason \(tooLong)") }
    }

    func run() async throws {
        try await Decision(verdict: .reopened, people: people, reason: reason, by: by ?? Decision.osUser, common: common).run()
    }
}
