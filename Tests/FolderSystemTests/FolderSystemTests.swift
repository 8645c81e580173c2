import FolderSystem
import Foundation
import PortraitCore
import Testing

/// A scratch folder that removes itself.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ path: String, _ text: String) throws -> URL {
        try write(path, Data(text.utf8))
    }

    @discardableResult
    func write(_ path: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }
}

/// Everyone a system lists, and every problem it finds.
func listing(of system: FolderSystem) async throws -> (accounts: [Account], problems: [ListingProblem]) {
    var accounts: [Account] = []
    var problems: [ListingProblem] = []
    for try await page in system.listPeople() {
        accounts += page.accounts
        problems += page.problems
    }
    return (accounts, problems)
}

@Suite struct FolderSystemTests {
    let scratch: ScratchFolder

    init() throws { scratch = try ScratchFolder() }

    func system(csv: String? = nil, pattern: String? = nil) -> FolderSystem {
        FolderSystem(name: "hr", settings: .init(
            folder: scratch.url, csv: csv.map { scratch.url.appendingPathComponent($0) }, pattern: pattern,
            profile: RenditionProfile(side: 648)))
    }

    func list(_ system: FolderSystem) async throws -> (accounts: [Account], problems: [ListingProblem]) {
        try await listing(of: system)
    }

    @Test func csvMapsPathsRelativeToTheCSV() async throws {
        try scratch.write("2025/class-a/IMG_1.jpg", "x")
        try scratch.write("2025/class-a/IMG_2.jpg", "y")
        try scratch.write("2025/map.csv", "path,mail,employeeId,upn\nclass-a/IMG_1.jpg,Ann@X.org,E1,ann@x.onmicrosoft.com\nclass-a/IMG_2.jpg, bob@x.org ,,\n")
        let (accounts, problems) = try await list(system(csv: "2025/map.csv"))
        #expect(problems.isEmpty)
        #expect(accounts.count == 2)
        let ann = try #require(accounts.first { $0.keys.mail == "ann@x.org" })
        #expect(ann.id == "2025/class-a/IMG_1.jpg")
        #expect(ann.keys.employeeId == "E1")
        #expect(ann.keys.userPrincipalName == "ann@x.onmicrosoft.com")
        #expect(ann.photo.version != nil)
        #expect(accounts.contains { $0.keys.mail == "bob@x.org" && $0.keys.employeeId == nil })
    }

    @Test func csvProblemsNameTheLineAndTheRestIsListed() async throws {
        try scratch.write("a.jpg", "a")
        try scratch.write("b.jpg", "b")
        try scratch.write("c.jpg", "c")
        try scratch.write("stray.png", "s")
        try scratch.write("notes.txt", "not an image, not reported")
        try scratch.write("map.csv", """
            path,mail
            a.jpg,ann@x.org
            missing.jpg,gone@x.org
            b.jpg,
            c.jpg,twice@x.org
            a.jpg,twice@x.org
            b.jpg,not-a-mail
            ,empty@x.org

            """)
        let (accounts, problems) = try await list(system(csv: "map.csv"))
        #expect(accounts.map(\.keys.mail) == ["ann@x.org"])
        let messages = problems.map(\.message)
        #expect(messages.contains { $0.contains("map.csv line 3") && $0.contains("missing.jpg") && $0.contains("does not exist") })
        #expect(messages.contains { $0.contains("map.csv line 4") && $0.contains("no mail") })
        #expect(messages.contains { $0.contains("twice@x.org is named on more than one line (5, 6)") })
        #expect(messages.contains { $0.contains("map.csv line 7") && $0.contains("not-a-mail") })
        #expect(messages.contains { $0.contains("map.csv line 8") && $0.contains("path is empty") })
        let warnings = problems.filter { $0.severity == .warning }
        #expect(warnings.map(\.subject) == ["stray.png"])
        #expect(problems.filter { $0.severity == .error }.count == 5)
    }

    @Test func csvWithoutRequiredColumnsIsAConfigurationError() async throws {
        try scratch.write("map.csv", "file,email\na.jpg,a@x.org\n")
        await #expect {
            _ = try await list(system(csv: "map.csv"))
        } throws: { error in
            guard let error = error as? SystemError else { return false }
            return error.kind == .misconfigured && error.message.contains("path, and mail, upn, employeeId or sAMAccountName") && error.message.contains("file,email")
        }
    }

    @Test func patternNamesPeopleByFileName() async throws {
        try scratch.write("ann.lee@x.org.jpg", "a")
        try scratch.write("bob@x.org.JPG", "b")
        try scratch.write("bob@x.org.png", "b2")
        try scratch.write("team photo.jpg", "t")
        let (accounts, problems) = try await list(system(pattern: "{mail}.*"))
        #expect(accounts.map(\.keys.mail) == ["ann.lee@x.org"])
        #expect(problems.contains { $0.severity == .error && $0.message.contains("bob@x.org has more than one photo") })
        // "team photo" matches {mail}.* but is no mail address: nobody is mapped to it.
        #expect(problems.contains { $0.severity == .warning && $0.subject == "team photo.jpg" })
        #expect(problems.count == 2)
    }

    @Test func patternByEmployeeId() async throws {
        try scratch.write("E100.jpg", "a")
        try scratch.write("readme.png", "r")
        let (accounts, problems) = try await list(system(pattern: "E{employeeId}.jpg"))
        #expect(accounts.map(\.keys.employeeId) == ["100"])
        #expect(problems.map(\.subject) == ["readme.png"])
        #expect(problems.first?.severity == .warning)
    }

    @Test func badPatternsAreConfigurationErrors() async throws {
        for pattern in ["{name}.jpg", "photo.jpg", "{mail.jpg"] {
            await #expect(throws: SystemError.self) { _ = try await list(system(pattern: pattern)) }
        }
    }

    @Test func writesAtomicallyAndReportsAVersion() async throws {
        let target = system()
        let account = try #require(target.newAccount(for: MatchKeys(mail: "Ann@X.org")))
        #expect(account.id == "ann@x.org.jpg")
        let rendition = Rendition(profile: RenditionProfile(side: 648), bytes: Data([1, 2, 3]), sha256: "", width: 1, height: 1, quality: 90)
        let version = try await target.writePhoto([rendition], for: account)
        #expect(version?.hasPrefix("3-") == true)
        let (accounts, _) = try await list(target)
        #expect(accounts.first?.photo.version == version)
        let read = try await target.readPhoto(of: accounts[0])
        #expect(read?.bytes == Data([1, 2, 3]))
        try await target.deletePhoto(of: account)
        #expect(try await target.readPhoto(of: account) == nil)
    }

    @Test func refusesUnsafeFileNames() {
        #expect(system().newAccount(for: MatchKeys(mail: "../../etc/passwd")) == nil)
        #expect(system().newAccount(for: MatchKeys(employeeId: "E1")) == nil)
    }

    @Test func hugeFilesAreRefusedBeforeReading() async throws {
        let file = scratch.url.appendingPathComponent("huge.tif")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        try handle.truncate(atOffset: UInt64(Photo.maxInputBytes + 1))
        try handle.close()
        let account = Account(id: "huge.tif", keys: MatchKeys(mail: "h@x.org"), photo: .unknown)
        await #expect {
            _ = try await system().readPhoto(of: account)
        } throws: { "\($0)".contains("huge.tif") && "\($0)".contains("refused") }
    }

    @Test func checkAcceptsAFolderItCanCreate() async throws {
        let fresh = FolderSystem(name: "out", settings: .init(folder: scratch.url.appendingPathComponent("new/deeper"), profile: RenditionProfile(side: 96)))
        try await fresh.check()
        let file = try scratch.write("file.txt", "x")
        let blocked = FolderSystem(name: "out", settings: .init(folder: file.appendingPathComponent("sub"), profile: RenditionProfile(side: 96)))
        await #expect(throws: SystemError.self) { try await blocked.check() }
    }
}
