import Crypto
import Foundation
import PortraitCore
import PortraitStore

/// Downloads every photo of a system into a folder, exactly as the system serves it, with a
/// `manifest.csv` (person, file, sha256, version). A re-run downloads only photos whose version
/// changed; the manifest is saved as it goes, so an interrupted pull resumes.
public struct PullEngine: Sendable {
    public struct Report: Sendable {
        public var source: String
        public var downloaded = 0
        public var unchanged = 0
        public var withoutPhoto = 0
        public var failed = 0
        public var errors: [ReportedProblem] = []
        /// Why the source stopped answering, if it did; its remaining people failed.
        public var unreachable: String?
        /// Everyone the source listed.
        public var listed = 0
        public var interrupted = false
        public var seconds: Double = 0
        public var people: Int { downloaded + unchanged + withoutPhoto + failed }
    }

    /// Keeps what listings remember between runs (the folder keeps the photos and manifest).
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func pull(from source: any PhotoSystem, into folder: URL, stop: StopSignal = StopSignal(),
                     progress: @escaping @Sendable (RunProgress) -> Void = { _ in }) async throws -> Report {
        let started = Date()
        try await source.check()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SystemError(.misconfigured, "cannot create the folder \(folder.path): \(error.localizedDescription)")
        }
        // A pull mirrors a system into a folder of its own: never into someone's photos.
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
        if !present.isEmpty, !present.contains("manifest.csv") {
            throw SystemError(.misconfigured, "\(folder.path) already holds \(present.count) files that no pull wrote (it has no manifest.csv); pull into an empty folder of its own")
        }
        let manifest = try Manifest(folder: folder)
        var report = Report(source: source.name)
        let outage = Outage()
        // Enough in flight that the source's throttle always has requests waiting.
        let width = 4 * source.capabilities.concurrency
        try await forEachPerson(in: store.people(of: source), width: width, stop: stop, onPage: { _, count in
            report.listed += count
            progress(.listed(total: report.listed))
        }, work: { account in
            if let reason = outage.current { return (Outcome.unreachable(reason), account.label) }
            let outcome = await self.pullOne(account, from: source, manifest: manifest)
            if case .unreachable(let reason) = outcome { return (.unreachable(outage.record(reason)), account.label) }
            return (outcome, account.label)
        }, collect: { (outcome: Outcome, person: String) in
            switch outcome {
            case .downloaded: report.downloaded += 1
            case .unchanged: report.unchanged += 1
            case .withoutPhoto: report.withoutPhoto += 1
            case .failed(let message):
                report.failed += 1
                report.errors.append(ReportedProblem(person: person, system: source.name, message: message))
            case .unreachable(let reason):
                report.failed += 1
                report.unreachable = reason
            }
            progress(.pulled(person: person, outcome: outcome.text, failed: outcome.failed))
        })
        try await manifest.save()
        report.interrupted = stop.requested
        report.errors.sort { $0.person < $1.person }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    enum Outcome: Sendable {
        case downloaded, unchanged, withoutPhoto
        case failed(String)
        case unreachable(String)

        var failed: Bool {
            switch self {
            case .failed, .unreachable: true
            case .downloaded, .unchanged, .withoutPhoto: false
            }
        }

        /// For `-v`: "downloaded", or "failed: why".
        var text: String {
            switch self {
            case .downloaded: "downloaded"
            case .unchanged: "unchanged"
            case .withoutPhoto: "no photo"
            case .failed(let message), .unreachable(let message): "failed: \(message)"
            }
        }
    }

    private func pullOne(_ account: Account, from source: any PhotoSystem, manifest: Manifest) async -> Outcome {
        let person = account.label
        guard let file = Manifest.fileName(for: person) else {
            return .failed("\(person) cannot be a file name")
        }
        do {
            // The version first, when it is cheap, so an unchanged photo is not downloaded.
            var version: String?
            switch account.photo {
            case .absent:
                await manifest.remove(person)
                return .withoutPhoto
            case .present(let listed):
                version = listed
            case .unknown:
                // Only for a photo the folder has: any other is downloaded whatever its version,
                // and asking first would double a first pull's requests.
                if await manifest.has(person), let reader = source as? any PhotoVersionReading {
                    guard let current = try await reader.photoVersion(of: account) else {
                        await manifest.remove(person)
                        return .withoutPhoto
                    }
                    version = current
                }
            }
            version = version.map(Manifest.plain)
            if let version, await manifest.isCurrent(person, version: version) {
                return .unchanged
            }
            guard let photo = try await source.readPhoto(of: account) else {
                await manifest.remove(person)
                return .withoutPhoto
            }
            let digest = SHA256.hash(data: photo.bytes).map { String(format: "%02x", $0) }.joined()
            let entry = Manifest.Entry(person: person, file: file, sha256: digest, version: version ?? photo.version.map(Manifest.plain) ?? "")
            // A version that moved with something other than the photo (AD's uSNChanged).
            if await manifest.holds(entry) {
                try await manifest.record(entry)
                return .unchanged
            }
            let url = manifest.folder.appendingPathComponent(file)
            if FileManager.default.fileExists(atPath: url.path), await !manifest.wrote(file) {
                return .failed("\(url.path) is there but was not written by a pull; move it away, or pull into a folder of its own")
            }
            try photo.bytes.write(to: url, options: .atomic)
            try await manifest.record(entry)
            return .downloaded
        } catch let error as SystemError where error.kind == .unreachable {
            return .unreachable(error.message)
        } catch {
            return .failed("\(error)")
        }
    }
}

/// `manifest.csv` of a pull folder, kept in memory and saved atomically every few changes.
actor Manifest {
    struct Entry: Sendable {
        var person: String
        var file: String
        var sha256: String
        var version: String
    }

    nonisolated let folder: URL
    private var entries: [String: Entry] = [:]
    private var unsaved = 0
    private static let saveEvery = 25

    init(folder: URL) throws {
        self.folder = folder
        let url = folder.appendingPathComponent("manifest.csv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        for record in CSVTable(text: text).records where record.fields.count == 4 {
            let fields = record.fields
            entries[fields[0]] = Entry(person: fields[0], file: fields[1], sha256: fields[2], version: fields[3])
        }
    }

    /// `<mail or upn>.jpg`, or nil for a name that is not safe as one file name.
    static func fileName(for person: String) -> String? {
        // A comma would break the manifest's unquoted person and file columns.
        guard FileName.isSafe(person), !person.contains(",") else { return nil }
        return "\(person).jpg"
    }

    /// Whether an earlier pull wrote this file.
    func wrote(_ file: String) -> Bool {
        entries.values.contains { $0.file == file }
    }

    func has(_ person: String) -> Bool { entries[person] != nil }

    func isCurrent(_ person: String, version: String) -> Bool {
        guard let entry = entries[person], entry.version == version else { return false }
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry.file).path)
    }

    /// Whether the folder already has these bytes for the person.
    func holds(_ entry: Entry) -> Bool {
        guard let current = entries[entry.person], current.sha256 == entry.sha256, current.file == entry.file else { return false }
        return FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry.file).path)
    }

    func record(_ entry: Entry) async throws {
        entries[entry.person] = entry
        try await changed()
    }

    /// The person has no photo any more: the folder mirrors that.
    func remove(_ person: String) {
        guard let entry = entries.removeValue(forKey: person) else { return }
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(entry.file))
        unsaved += 1
    }

    func save() throws {
        var text = "person,file,sha256,version\n"
        for entry in entries.values.sorted(by: { $0.person < $1.person }) {
            text += "\(entry.person),\(entry.file),\(entry.sha256),\(Self.quote(entry.version))\n"
        }
        try Data(text.utf8).write(to: folder.appendingPathComponent("manifest.csv"), options: .atomic)
        unsaved = 0
    }

    private func changed() async throws {
        unsaved += 1
        if unsaved >= Self.saveEvery { try save() }
    }

    /// An HTTP entity tag without its quotes (and weak marker): `"0A1B"` → `0A1B`, so the
    /// manifest's version column reads plainly.
    static func plain(_ version: String) -> String {
        var text = Substring(version)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        return String(text)
    }

    /// CSV-quotes a value that holds a quote or a comma.
    private static func quote(_ value: String) -> String {
        value.contains(where: { $0 == "\"" || $0 == "," }) ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}
