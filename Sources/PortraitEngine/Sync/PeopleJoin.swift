import PortraitCore

/// Joins every system's accounts into people, as an identity manager's metaverse does: an
/// account linked before stays with its person whatever its keys say now (a renamed mail does
/// not break it); an unlinked one joins the person it shares the first key with, in the
/// policy's `join` order; an unmatched account of a source becomes a new person. Anything
/// ambiguous is reported and left unlinked, never guessed. Pure: the store loads the links and
/// people, and saves the result.
public struct PeopleJoin: Sendable {
    /// A person: stored (an id) or made by this join (numbered from 0).
    public enum PersonRef: Hashable, Sendable {
        case stored(Int64)
        case new(Int)
    }

    public struct Person: Sendable {
        public var ref: PersonRef
        /// The keys the store had, overlaid with the linked accounts' (sources first).
        public var keys: MatchKeys
        /// The person's account in each system.
        public var accounts: [String: Account]
    }

    public struct Ambiguity: Sendable, Equatable {
        public var system: String
        public var account: String
        public var message: String
    }

    public var people: [Person]
    public var ambiguities: [Ambiguity]
    /// Links this join made (the store keeps them).
    public var newLinks: [(system: String, account: Account, person: PersonRef)]

    /// - Parameters:
    ///   - listings: each system's accounts, in the order systems are joined (sources first, by rank).
    ///   - sources: the systems whose unmatched accounts become people.
    ///   - links: (system, account id) → person, as stored.
    ///   - stored: the people the store knows, with their keys.
    public init(listings: [(system: String, accounts: [Account])], sources: Set<String>,
                links: [String: [String: Int64]], stored: [Int64: MatchKeys], order: [MatchKey]) {
        var members: [PersonRef: [String: Account]] = [:]
        var keys: [PersonRef: MatchKeys] = Dictionary(uniqueKeysWithValues: stored.map { (.stored($0.key), $0.value) })
        var ambiguities: [Ambiguity] = []
        var newLinks: [(String, Account, PersonRef)] = []
        var unlinked: [(system: String, account: Account)] = []

        for (system, accounts) in listings {
            for account in accounts {
                guard let id = links[system]?[account.id], keys[.stored(id)] != nil else {
                    unlinked.append((system, account))
                    continue
                }
                if let other = members[.stored(id)]?[system] {
                    ambiguities.append(.init(system: system, account: account.label,
                                             message: "\(account.label) (id \(account.id)) and \(other.label) (id \(other.id)) in \(system) are both linked to one person; unlink one"))
                    continue
                }
                members[.stored(id), default: [:]][system] = account
            }
        }

        // Keys of linked accounts count as the person's, so new accounts can join on them.
        var index: [MatchKey: [String: Set<PersonRef>]] = [:]
        func indexKeys(_ person: PersonRef, _ values: MatchKeys) {
            for key in order {
                if let value = values[key] { index[key, default: [:]][value, default: []].insert(person) }
            }
        }
        for (person, values) in keys { indexKeys(person, values) }
        for (person, accounts) in members { for account in accounts.values { indexKeys(person, account.keys) } }

        var made = 0
        for (system, _) in listings {
            // Claims are settled per system, so two accounts claiming one person are both seen.
            var claims: [PersonRef: [Account]] = [:]
            var unmatched: [Account] = []
            for (_, account) in unlinked.filter({ $0.system == system }) {
                var decided = false
                for key in order {
                    guard let value = account.keys[key], let found = index[key]?[value], !found.isEmpty else { continue }
                    decided = true
                    if found.count > 1 {
                        ambiguities.append(.init(system: system, account: account.label,
                                                 message: "\(account.label) (id \(account.id)) in \(system) matches \(found.count) people by \(key.rawValue) \(value); make it unique"))
                    } else {
                        claims[found.first!, default: []].append(account)
                    }
                    break
                }
                if !decided { unmatched.append(account) }
            }
            for (person, accounts) in claims {
                if accounts.count == 1, members[person]?[system] == nil {
                    members[person, default: [:]][system] = accounts[0]
                    newLinks.append((system, accounts[0], person))
                    indexKeys(person, accounts[0].keys)
                    continue
                }
                let claimants = (accounts + [members[person]?[system]].compactMap { $0 })
                let named = claimants.map { "\($0.label) (id \($0.id))" }.joined(separator: " and ")
                for account in accounts {
                    ambiguities.append(.init(system: system, account: account.label,
                                             message: "\(named) in \(system) are the same person by their keys; make one of them unique"))
                }
            }
            guard sources.contains(system) else { continue }
            for account in unmatched {
                let person = PersonRef.new(made)
                made += 1
                members[person] = [system: account]
                keys[person] = account.keys
                newLinks.append((system, account, person))
                indexKeys(person, account.keys)
            }
        }

        let systemOrder = listings.map(\.system)
        people = members.map { ref, accounts in
            var merged = keys[ref] ?? MatchKeys()
            for system in systemOrder.reversed() {
                guard let values = accounts[system]?.keys else { continue }
                merged = MatchKeys(mail: values.mail ?? merged.mail, userPrincipalName: values.userPrincipalName ?? merged.userPrincipalName,
                                   employeeId: values.employeeId ?? merged.employeeId, accountName: values.accountName ?? merged.accountName)
            }
            return Person(ref: ref, keys: merged, accounts: accounts)
        }.sorted { ($0.keys.label ?? "") < ($1.keys.label ?? "") }
        self.ambiguities = ambiguities.sorted { ($0.system, $0.account) < ($1.system, $1.account) }
        self.newLinks = newLinks
    }
}
