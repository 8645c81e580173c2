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

@Suite struct StoreLocationTests {
    @Test func aSystemNamePointingAtTwoPlacesKeepsBoth() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-store-\(UUID().uuidString).db").path
        let store = try Store(path: path)
        let run = try await store.beginRun(command: "push", source: "hr", targets: ["out"], dryRun: false)
        let account = Account(id: "ann@x.org.jpg", keys: MatchKeys(mail: "ann@x.org"), photo: .absent)
        for (location, hash) in [("folder:/a", "aaa"), ("folder:/b", "bbb")] {
            try await store.recordWrite(PhotoWrite(
                system: "out", location: location, account: account, person: account.keys,
                state: WrittenState(renditionSHA256: hash, fingerprint: nil, profile: "p", sourceVersion: nil, remoteVersion: "1", writtenAt: Date()),
                audit: .init(runId: run, action: .uploaded, hashBefore: nil, hashAfter: hash, detail: nil)))
        }
        #expect(try await store.writtenStates(system: "out", location: "folder:/a")["ann@x.org.jpg"]?.renditionSHA256 == "aaa")
        #expect(try await store.writtenStates(system: "out", location: "folder:/b")["ann@x.org.jpg"]?.renditionSHA256 == "bbb")
        #expect(try await store.writtenStates(system: "out", location: "folder:/c").isEmpty)
    }

    @Test func aPendingWriteIsClearedByItsRecord() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-store-\(UUID().uuidString).db").path
        let store = try Store(path: path)
        let account = Account(id: "u1", keys: MatchKeys(mail: "ann@x.org"), photo: .unknown)
        let state = WrittenState(renditionSHA256: "h", fingerprint: "00ff00ff00ff00ff", profile: "p", sourceVersion: "s", remoteVersion: nil, writtenAt: Date())
        try await store.recordPendingWrite(system: "m365", location: "graph:t", accountId: "u1", state: state)
        #expect(try await store.pendingWrites(system: "m365", location: "graph:t")["u1"]?.renditionSHA256 == "h")
        let run = try await store.beginRun(command: "push", source: "hr", targets: ["m365"], dryRun: false)
        try await store.recordWrite(PhotoWrite(system: "m365", location: "graph:t", account: account, person: account.keys, state: state,
                                               audit: .init(runId: run, action: .uploaded, hashBefore: nil, hashAfter: "h", detail: nil)))
        #expect(try await store.pendingWrites(system: "m365", location: "graph:t").isEmpty)
    }
}
