import Foundation
import PortraitCore

/// What a listing found, as of a directory server's `highestCommittedUSN`: the next listing asks
/// that server only for entries changed since and merges them in.
///
/// USNs are counted per domain controller, so a snapshot holds for the server (`dsServiceName`),
/// base and filter it was made with; anything else lists everything again.
struct DirectorySnapshot: Codable, Sendable, Equatable {
    struct Entry: Codable, Sendable, Equatable {
        var mail: String?
        var upn: String?
        var employeeId: String?
        var accountName: String?
        /// `uSNChanged`: the entry's version.
        var usn: String
        var hasPhoto: Bool
    }

    var scope: String
    var highestUSN: Int64
    /// By objectGUID.
    var entries: [String: Entry]

    /// The snapshot after a listing of what changed: `changed` are entries in scope changed since
    /// `highestUSN`; `changedAnywhere` are the GUIDs of every object changed since, deleted or
    /// moved ones included, so one changed but no longer in scope has left it.
    func updated(changed: [String: Entry], changedAnywhere: Set<String>, highestUSN: Int64) -> DirectorySnapshot {
        var entries = entries
        for guid in changedAnywhere where changed[guid] == nil {
            entries[guid] = nil
        }
        entries.merge(changed) { $1 }
        return DirectorySnapshot(scope: scope, highestUSN: highestUSN, entries: entries)
    }

    /// The entries as accounts, in a stable order.
    var accounts: [Account] {
        entries.sorted { $0.key < $1.key }.map { guid, entry in entry.account(guid: guid) }
    }
}

extension DirectorySnapshot.Entry {
    func account(guid: String) -> Account {
        Account(id: guid, keys: MatchKeys(mail: mail, userPrincipalName: upn, employeeId: employeeId, accountName: accountName),
                photo: hasPhoto ? .present(version: usn) : .absent)
    }
}
