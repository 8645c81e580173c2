import Foundation
import GRDB
import PortraitCore
import PortraitStore
import Testing

@Suite struct StoreTests {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-store-\(UUID().uuidString).db").path
    }

    func write(_ store: Store, run: Int64, hash: String, action: AuditEntry.Action = .uploaded) async throws {
        let account = Account(id: "ann@x.org.jpg", keys: MatchKeys(mail: "ann@x.org"), photo: .absent)
        try await store.recordWrite(PhotoWrite(
            system: "out", location: "folder:/out", account: account, person: MatchKeys(mail: "ann@x.org", employeeId: "E1"),
            state: WrittenState(renditionSHA256: hash, fingerprint: "00ff00ff00ff00ff", profile: "jpeg 96px centre",
                                sourceVersion: "10-1", remoteVersion: "20-2", writtenAt: Date()),
            audit: .init(runId: run, action: action, hashBefore: nil, hashAfter: hash, detail: nil)))
    }

    @Test func remembersWritesAcrossOpens() async throws {
        do {
            let store = try Store(path: path)
            let run = try await store.beginRun(command: "push", source: "hr", targets: ["out"], dryRun: false)
            try await write(store, run: run, hash: "aaa")
            try await write(store, run: run, hash: "bbb", action: .updated)
            try await store.finishRun(run, outcome: "ok", summary: "")
        }
        let reopened = try Store(path: path)
        let states = try await reopened.writtenStates(system: "out", location: "folder:/out")
        #expect(states["ann@x.org.jpg"]?.renditionSHA256 == "bbb")
        #expect(states["ann@x.org.jpg"]?.remoteVersion == "20-2")
        let audit = try await reopened.auditEntries()
        #expect(audit.map(\.action) == [.uploaded, .updated])
        #expect(audit.map(\.person) == ["ann@x.org", "ann@x.org"])
    }

    @Test func auditLogIsAppendOnly() async throws {
        let store = try Store(path: path)
        let run = try await store.beginRun(command: "push", source: "hr", targets: ["out"], dryRun: false)
        try await write(store, run: run, hash: "aaa")
        let raw = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try raw.write { try $0.execute(sql: "UPDATE audit SET action = 'deleted'") } }
        #expect(throws: (any Error).self) { try raw.write { try $0.execute(sql: "DELETE FROM audit") } }
    }

    @Test func dryRunCopyNeverTouchesTheFile() async throws {
        do {
            let store = try Store(path: path)
            let run = try await store.beginRun(command: "push", source: "hr", targets: ["out"], dryRun: false)
            try await write(store, run: run, hash: "aaa")
        }
        let copy = try Store(inMemoryCopyOf: path)
        #expect(try await copy.writtenStates(system: "out", location: "folder:/out")["ann@x.org.jpg"]?.renditionSHA256 == "aaa")
        try await write(copy, run: 1, hash: "changed-in-memory")
        let disk = try Store(path: path)
        #expect(try await disk.writtenStates(system: "out", location: "folder:/out")["ann@x.org.jpg"]?.renditionSHA256 == "aaa")
    }

    @Test func dryRunWithoutADatabaseCreatesNone() throws {
        _ = try Store(inMemoryCopyOf: path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
