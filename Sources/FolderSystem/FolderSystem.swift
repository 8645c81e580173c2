import Foundation
import PortraitCore

/// A folder of photos: what HR or a photographer delivers (as a source, mapped to people by a CSV
/// or a filename pattern) and a place to put renditions (as a target, one `<mail>.jpg` each).
///
/// An account's id is its file's path relative to the folder; its photo version is the file's
/// size and modification time, so listing shows every version without reading a photo.
public final class FolderSystem: PhotoWriting {
    public struct Settings: Sendable {
        public var folder: URL
        /// A CSV of `path,mail` (optional `employeeId`, `upn`), paths relative to the CSV.
        public var csv: URL?
        /// How file names name people when there is no CSV, e.g. `{mail}.jpg`.
        public var pattern: String?
        /// The rendition written when this folder is a target.
        public var profile: RenditionProfile
        /// Photos larger than this are refused before they are read.
        public var maxInputBytes: Int

        public init(folder: URL, csv: URL? = nil, pattern: String? = nil, profile: RenditionProfile, maxInputBytes: Int = Photo.maxInputBytes) {
            self.folder = folder
            self.csv = csv
            self.pattern = pattern
            self.profile = profile
            self.maxInputBytes = maxInputBytes
        }
    }

    /// Without a CSV or pattern, files are named by mail, as this system writes them.
    public static let defaultPattern = "{mail}.*"
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "tif", "tiff", "gif", "heic", "heif", "avif"]
    static let pageSize = 500

    public let name: String
    public let settings: Settings
    public let capabilities: Capabilities

    public init(name: String, settings: Settings) {
        self.name = name
        self.settings = settings
        // A folder mapped by a CSV is a delivery: its originals are never written over.
        self.capabilities = Capabilities(
            renditions: settings.csv == nil ? [settings.profile] : [], matching: [.same(.mail)], listsPhotoVersions: true, concurrency: 8)
    }

    public var location: String { "folder:\(settings.folder.standardizedFileURL.path)" }

    // MARK: - PhotoSystem

    /// A folder that does not exist yet is fine as long as it can be created on first write.
    public func check() async throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: settings.folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SystemError(.unreachable, "\(name): \(settings.folder.path) is a file, not a folder; correct `path`")
            }
        } else {
            var ancestor = settings.folder.deletingLastPathComponent()
            while !FileManager.default.fileExists(atPath: ancestor.path), ancestor.path != "/" {
                ancestor = ancestor.deletingLastPathComponent()
            }
            var ancestorIsFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &ancestorIsFolder),
                  ancestorIsFolder.boolValue, FileManager.default.isWritableFile(atPath: ancestor.path) else {
                throw SystemError(.unreachable, "\(name): the folder \(settings.folder.path) does not exist and cannot be created; create it or correct `path`")
            }
        }
        if let csv = settings.csv, !FileManager.default.isReadableFile(atPath: csv.path) {
            throw SystemError(.unreachable, "\(name): cannot read the CSV \(csv.path); correct `csv`")
        }
    }

    public func listPeople() -> AsyncThrowingStream<PeoplePage, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let listing = try self.settings.csv != nil ? self.listFromCSV() : self.listByPattern()
                    for start in stride(from: 0, to: max(listing.accounts.count, 1), by: Self.pageSize) {
                        let accounts = Array(listing.accounts[min(start, listing.accounts.count)..<min(start + Self.pageSize, listing.accounts.count)])
                        continuation.yield(PeoplePage(accounts: accounts, problems: start == 0 ? listing.problems : []))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func readPhoto(of account: Account) async throws -> Photo? {
        let url = file(account.id)
        guard let (size, version) = Self.sizeAndVersion(of: url) else { return nil }
        // Refused before reading, so a huge file never reaches memory.
        guard size <= settings.maxInputBytes else {
            throw SystemError(.rejected, "\(url.path) is \(size / 1_048_576) MB; photos over \(settings.maxInputBytes / 1_048_576) MB are refused — export a smaller copy, or raise max_input_mb in [images]")
        }
        do {
            return Photo(bytes: try Data(contentsOf: url), version: version, origin: url.path)
        } catch {
            throw SystemError(.failed, "cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    // MARK: - PhotoWriting

    public func newAccount(for keys: MatchKeys) -> Account? {
        guard let mail = keys.mail, FileName.isSafe(mail) else { return nil }
        return Account(id: "\(mail).jpg", keys: keys, photo: .absent)
    }

    public func writePhoto(_ renditions: [Rendition], for account: Account) async throws -> String? {
        guard let rendition = renditions.first else { return nil }
        let url = file(account.id)
        do {
            try FileManager.default.createDirectory(at: settings.folder, withIntermediateDirectories: true)
            // Written beside and renamed into place: a reader never sees half a photo, and a
            // crash leaves the previous photo whole.
            try rendition.bytes.write(to: url, options: .atomic)
        } catch {
            throw SystemError(.failed, "cannot write \(url.path): \(error.localizedDescription)")
        }
        return Self.version(of: url)
    }

    public func deletePhoto(of account: Account) async throws {
        let url = file(account.id)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw SystemError(.failed, "cannot delete \(url.path): \(error.localizedDescription)")
        }
    }

    // MARK: - Listing

    private struct Listing {
        var accounts: [Account] = []
        var problems: [ListingProblem] = []
    }

    private func listFromCSV() throws -> Listing {
        guard let csv = settings.csv else { return Listing() }
        let csvName = csv.lastPathComponent
        var listing = Listing()
        let text: String
        guard let data = try? Data(contentsOf: csv) else {
            throw SystemError(.misconfigured, "\(name): cannot read \(csv.path)")
        }
        if let utf8 = String(data: data, encoding: .utf8) {
            text = utf8
        } else if let legacy = String(data: data, encoding: .windowsCP1252) {
            // Excel's "CSV" on Windows: names with accents come out right read this way.
            text = legacy
            listing.problems.append(ListingProblem(subject: csvName, message: "\(csvName) is not UTF-8; read it as Windows-1252 (Latin-1) — check accented names, or save it as \"CSV UTF-8\"", severity: .warning))
        } else {
            throw SystemError(.misconfigured, "\(name): cannot read \(csv.path) as text; save it as \"CSV UTF-8\"")
        }
        let table = CSVTable(text: text)
        let columns = try CSVColumns(header: table.header, file: csv.path)
        if !columns.unused.isEmpty {
            listing.problems.append(ListingProblem(subject: csvName, message: "\(csvName): the columns \(columns.unused.joined(separator: ", ")) are not used (Portrait reads path, mail, upn, employeeId and sAMAccountName)", severity: .warning))
        }
        let csvFolder = csv.deletingLastPathComponent()

        var rowsByPerson: [String: [Int]] = [:]
        var candidates: [(line: Int, account: Account)] = []
        var mappedFiles: Set<String> = []
        for record in table.records where !record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            let subject = "\(csvName) line \(record.line)"
            let row = columns.values(of: record.fields)
            guard let written = row.path, !written.isEmpty else {
                listing.problems.append(ListingProblem(subject: subject, message: "\(subject): the path is empty"))
                continue
            }
            // Paths from Windows: backslashes separate folders.
            let path = written.replacingOccurrences(of: "\\", with: "/")
            var url = Self.resolve(path, in: csvFolder)
            mappedFiles.insert(url.path)
            if let mail = row.mail, !mail.isEmpty, !Self.isOneMailAddress(mail) {
                listing.problems.append(ListingProblem(subject: subject, message: "\(subject): \"\(mail)\" is not one mail address; write just the address, such as jane.doe@example.org"))
                continue
            }
            guard let person = row.keys.label else {
                listing.problems.append(ListingProblem(subject: subject, message: "\(subject): no mail, upn, employeeId or sAMAccountName for \(path); every row needs one"))
                continue
            }
            if Self.version(of: url) == nil, let found = Self.matchingIgnoringCase(url) {
                listing.problems.append(ListingProblem(subject: person, message: "\(subject): \(path) does not exist; using \(relativeId(found)), whose name differs only in letter case — did you mean it?", severity: .warning))
                url = found
            }
            mappedFiles.insert(url.path)
            guard let version = Self.version(of: url) else {
                listing.problems.append(ListingProblem(subject: person, message: "\(subject): \(person)'s photo \(url.path) does not exist"))
                continue
            }
            rowsByPerson[person, default: []].append(record.line)
            candidates.append((record.line, Account(id: relativeId(url), keys: row.keys, photo: .present(version: version))))
        }
        for (line, account) in candidates {
            let person = account.label
            let lines = rowsByPerson[person] ?? []
            if lines.count > 1 {
                // Which photo is meant cannot be guessed: the person gets none until one row is removed.
                if line == lines.first {
                    let where_ = lines.map(String.init).joined(separator: ", ")
                    listing.problems.append(ListingProblem(subject: person, message: "\(csvName): \(person) is named on more than one line (\(where_)); keep one"))
                }
                continue
            }
            listing.accounts.append(account)
        }
        listing.problems += unmappedImages(excluding: mappedFiles)
        return listing
    }

    /// One plain address: something@somewhere, no spaces, angle brackets or separators.
    static func isOneMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        let forbidden = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "<>,;\"()[]"))
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && text.unicodeScalars.allSatisfy { !forbidden.contains($0) }
    }

    /// The file whose path differs from `url` only in letter case (a CSV typed on Windows or
    /// macOS, whose file systems ignore case), if there is exactly one.
    static func matchingIgnoringCase(_ url: URL) -> URL? {
        var found = URL(fileURLWithPath: "/")
        for component in url.standardizedFileURL.pathComponents.dropFirst() {
            let exact = found.appendingPathComponent(component)
            if FileManager.default.fileExists(atPath: exact.path) {
                found = exact
                continue
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: found.path)) ?? []
            let candidates = entries.filter { $0.lowercased() == component.lowercased() }
            guard candidates.count == 1 else { return nil }
            found = found.appendingPathComponent(candidates[0])
        }
        return found
    }

    private func listByPattern() throws -> Listing {
        let pattern = try FilePattern(settings.pattern ?? Self.defaultPattern, system: name)
        var listing = Listing()
        guard FileManager.default.fileExists(atPath: settings.folder.path) else {
            listing.problems.append(ListingProblem(subject: settings.folder.path, message: "the folder \(settings.folder.path) does not exist (yet): nobody is in it", severity: .warning))
            return listing
        }
        var byMail: [String: [Account]] = [:]
        var unmatched: [String] = []
        for relative in imageFiles() {
            guard let keys = pattern.keys(forPath: relative), keys.mail?.contains("@") ?? true else {
                unmatched.append(relative)
                continue
            }
            guard let version = Self.version(of: file(relative)) else { continue }
            let account = Account(id: relative, keys: keys, photo: .present(version: version))
            byMail[keys.label ?? relative, default: []].append(account)
        }
        for (key, accounts) in byMail.sorted(by: { $0.key < $1.key }) {
            if accounts.count > 1 {
                let files = accounts.map(\.id).sorted().joined(separator: ", ")
                listing.problems.append(ListingProblem(subject: key, message: "\(key) has more than one photo (\(files)); keep one"))
            } else {
                listing.accounts.append(accounts[0])
            }
        }
        listing.accounts.sort { $0.id < $1.id }
        listing.problems += unmatched.sorted().map {
            ListingProblem(subject: $0, message: "\($0) does not match the pattern \(pattern.text) with a mail address: nobody is mapped to it", severity: .warning)
        }
        let csvs = ((try? FileManager.default.contentsOfDirectory(atPath: settings.folder.path)) ?? []).filter { $0.lowercased().hasSuffix(".csv") }
        if !unmatched.isEmpty, let csv = csvs.sorted().first {
            listing.problems.append(ListingProblem(subject: csv, message: "\(name) maps photos by file name, but its folder holds \(csv): to map photos by it, set csv = \"\(settings.folder.lastPathComponent)/\(csv)\"", severity: .warning))
        }
        return listing
    }

    private func unmappedImages(excluding mapped: Set<String>) -> [ListingProblem] {
        imageFiles().filter { !mapped.contains(file($0).standardizedFileURL.path) }.sorted().map {
            ListingProblem(subject: $0, message: "\($0) is not named in \(settings.csv?.lastPathComponent ?? "the CSV"): nobody is mapped to it", severity: .warning)
        }
    }

    /// Image files below the folder, as paths relative to it.
    private func imageFiles() -> [String] {
        let root = settings.folder.standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
            return []
        }
        var files: [String] = []
        for case let url as URL in walker where Self.imageExtensions.contains(url.pathExtension.lowercased()) {
            files.append(relativeId(url))
        }
        return files
    }

    // MARK: - Helpers

    private func file(_ id: String) -> URL {
        Self.resolve(id, in: settings.folder)
    }

    /// An absolute path as it is, a relative one below `folder`.
    static func resolve(_ path: String, in folder: URL) -> URL {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
        return url.standardizedFileURL
    }

    /// The path below the folder, or the absolute path of a file a CSV names outside it.
    private func relativeId(_ url: URL) -> String {
        let root = settings.folder.standardizedFileURL.path
        let path = url.standardizedFileURL.path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    static func version(of url: URL) -> String? { sizeAndVersion(of: url)?.version }

    /// A regular file's size and its version: size and modification time, in one stat.
    static func sizeAndVersion(of url: URL) -> (size: Int, version: String)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = attributes[.size] as? Int,
              let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return (size, "\(size)-\(Int64((modified.timeIntervalSince1970 * 1_000_000).rounded()))")
    }
}
