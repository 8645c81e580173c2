import FolderSystem
import Foundation
import PortraitCore
import Testing

/// CSVs as people really make them: in spreadsheets, on Windows, with mistakes.
@Suite struct CSVRealitiesTests {
    let scratch: ScratchFolder

    init() throws { scratch = try ScratchFolder() }

    func list(_ csv: String) async throws -> (accounts: [Account], problems: [ListingProblem]) {
        try await listing(of: FolderSystem(name: "hr", settings: .init(
            folder: scratch.url, csv: scratch.url.appendingPathComponent(csv), profile: RenditionProfile(side: 648))))
    }

    func errors(_ problems: [ListingProblem]) -> [String] { problems.filter { $0.severity == .error }.map(\.message) }
    func warnings(_ problems: [ListingProblem]) -> [String] { problems.filter { $0.severity == .warning }.map(\.message) }

    @Test func blankSpreadsheetRowsAreSkipped() async throws {
        try scratch.write("a.jpg", "x")
        try scratch.write("map.csv", "path,mail,name\na.jpg,ann@x.org,Ann\n,,\n , , \n,,\n")
        let (accounts, problems) = try await list("map.csv")
        #expect(accounts.map(\.keys.mail) == ["ann@x.org"])
        #expect(errors(problems).isEmpty)
    }

    @Test func semicolonsAndBackslashesFromAEuropeanWindowsSpreadsheet() async throws {
        try scratch.write("class 1/a.jpg", "x")
        try scratch.write("map.csv", "path;mail\r\nclass 1\\a.jpg;ann@x.org\r\n")
        let (accounts, problems) = try await list("map.csv")
        #expect(problems.isEmpty, "\(problems)")
        #expect(accounts.first?.id == "class 1/a.jpg")
    }

    @Test func aFileInAnotherLetterCaseIsFoundWithAWarning() async throws {
        try scratch.write("Photos/img_0001.jpg", "x")
        try scratch.write("map.csv", "path,mail\nphotos/IMG_0001.JPG,ann@x.org\n")
        let (accounts, problems) = try await list("map.csv")
        #expect(accounts.first?.id == "Photos/img_0001.jpg")
        #expect(errors(problems).isEmpty)
        #expect(warnings(problems).contains { $0.contains("map.csv line 2: photos/IMG_0001.JPG does not exist; using Photos/img_0001.jpg") && $0.contains("did you mean") })
    }

    @Test func windows1252IsReadWithAWarning() async throws {
        try scratch.write("a.jpg", "x")
        // "Zoë" in Windows-1252: ë is 0xEB, not valid UTF-8.
        var data = Data("path,mail,name\na.jpg,zoe@x.org,Zo".utf8)
        data.append(0xEB)
        data.append(contentsOf: Array("\n".utf8))
        try scratch.write("map.csv", data)
        let (accounts, problems) = try await list("map.csv")
        #expect(accounts.count == 1)
        #expect(warnings(problems).contains { $0.contains("map.csv is not UTF-8; read it as Windows-1252") })
    }

    @Test func mailsAreOneAddressEachWithTheLine() async throws {
        for name in ["a", "b", "c", "d"] { try scratch.write("\(name).jpg", "x") }
        try scratch.write("map.csv", "path,mail\na.jpg,Ann Lee <ann@x.org>\nb.jpg,bob@x.org; eve@x.org\nc.jpg,carl x.org\nd.jpg,dana@x.org\n")
        let (accounts, problems) = try await list("map.csv")
        #expect(accounts.map(\.keys.mail) == ["dana@x.org"])
        let messages = errors(problems)
        #expect(messages.contains { $0.hasPrefix("map.csv line 2: \"Ann Lee <ann@x.org>\" is not one mail address") })
        #expect(messages.contains { $0.hasPrefix("map.csv line 3: \"bob@x.org; eve@x.org\" is not one mail address") })
        #expect(messages.contains { $0.hasPrefix("map.csv line 4: \"carl x.org\" is not one mail address") })
    }

    @Test func extraColumnsAreNotedOnce() async throws {
        try scratch.write("a.jpg", "x")
        try scratch.write("b.jpg", "y")
        try scratch.write("map.csv", "path,mail,name,class\na.jpg,ann@x.org,Ann,1A\nb.jpg,bob@x.org,Bob,1B\n")
        let (_, problems) = try await list("map.csv")
        #expect(warnings(problems) == ["map.csv: the columns name, class are not used (Portrait reads path, mail, upn, employeeId and sAMAccountName)"])
    }

    @Test(arguments: ["upn", "employeeId"])
    func anyOneKeyColumnIsEnough(column: String) async throws {
        try scratch.write("a.jpg", "x")
        try scratch.write("map.csv", "path,\(column)\na.jpg,ann@x.onmicrosoft.com\n")
        let (accounts, problems) = try await list("map.csv")
        #expect(problems.isEmpty)
        #expect(accounts.first?.keys.label != nil)
        #expect(column == "upn" ? accounts.first?.keys.userPrincipalName == "ann@x.onmicrosoft.com" : accounts.first?.keys.employeeId == "ann@x.onmicrosoft.com")
    }
}
