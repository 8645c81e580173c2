import Foundation
import Testing
@testable import LDAPSystem

@Suite struct DirectorySnapshotTests {
    private func entry(_ mail: String, usn: Int, photo: Bool = true) -> DirectorySnapshot.Entry {
        DirectorySnapshot.Entry(mail: mail, upn: nil, employeeId: nil, accountName: nil, usn: String(usn), hasPhoto: photo)
    }

    @Test func mergesWhatChangedAndDropsWhatLeft() {
        let before = DirectorySnapshot(scope: "dc1|ou=staff|(x)", highestUSN: 100, entries: [
            "a": entry("ann@x.test", usn: 90), "b": entry("bob@x.test", usn: 91), "c": entry("cy@x.test", usn: 92),
        ])
        // b changed in scope, c was deleted or moved out (changed somewhere, not in scope), d is new,
        // and an object outside the listing (a group) changed too.
        let after = before.updated(changed: ["b": entry("bob@x.test", usn: 105, photo: false), "d": entry("di@x.test", usn: 106)],
                                   changedAnywhere: ["b", "c", "d", "group"], highestUSN: 110)
        #expect(after.highestUSN == 110)
        #expect(after.entries.keys.sorted() == ["a", "b", "d"])
        #expect(after.entries["a"] == entry("ann@x.test", usn: 90))
        #expect(after.entries["b"]?.hasPhoto == false)
        #expect(after.accounts.map(\.id) == ["a", "b", "d"])
        #expect(after.accounts[1].photo == .absent)
        #expect(after.accounts[2].photo == .present(version: "106"))
    }

    @Test func nothingChangedKeepsEverything() {
        let before = DirectorySnapshot(scope: "s", highestUSN: 7, entries: ["a": entry("ann@x.test", usn: 5)])
        #expect(before.updated(changed: [:], changedAnywhere: [], highestUSN: 7) == before)
    }

    @Test func objectGUIDReadsAsADWritesIt() {
        // AD's bytes put the first three fields little-endian.
        let bytes = Data(base64Encoded: "g+ovPqjL1k+59ET/ykzcew==")!
        #expect(ObjectGUID.string(bytes) == "3e2fea83-cba8-4fd6-b9f4-44ffca4cdc7b")
        #expect(ObjectGUID.string(Data([1, 2, 3])) == nil)
        #expect(ObjectGUID.dn("3e2fea83-cba8-4fd6-b9f4-44ffca4cdc7b") == "<GUID=3e2fea83-cba8-4fd6-b9f4-44ffca4cdc7b>")
    }
}
