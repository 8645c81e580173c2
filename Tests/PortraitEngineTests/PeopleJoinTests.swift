import PortraitCore
import PortraitEngine
import Testing

/// Joining accounts into people: links stick, keys join in order, ambiguity is reported.
@Suite struct PeopleJoinTests {
    func account(_ id: String, mail: String? = nil, upn: String? = nil, employee: String? = nil) -> Account {
        Account(id: id, keys: MatchKeys(mail: mail, userPrincipalName: upn, employeeId: employee), photo: .unknown)
    }

    func join(_ listings: [(String, [Account])], links: [String: [String: Int64]] = [:], stored: [Int64: MatchKeys] = [:],
              order: [MatchKey] = SyncPolicy.defaultJoin) -> PeopleJoin {
        PeopleJoin(listings: listings.map { (system: $0.0, accounts: $0.1) }, sources: ["hr"], links: links, stored: stored, order: order)
    }

    @Test func sourcesMakePeopleAndTargetsJoinThemByKey() {
        let result = join([("hr", [account("h1", mail: "ann@x.org", employee: "E1"), account("h2", mail: "bob@x.org")]),
                           ("entra", [account("e1", mail: "ANN@x.org"), account("e2", upn: "bob@x.org"), account("e3", mail: "eve@x.org")])])
        #expect(result.people.count == 2)
        let ann = result.people.first { $0.keys.mail == "ann@x.org" }
        #expect(ann?.accounts["entra"]?.id == "e1")
        // bob's UPN is not his mail: joined only where the config says keys compare.
        #expect(result.people.first { $0.keys.mail == "bob@x.org" }?.accounts["entra"] == nil)
        #expect(result.ambiguities.isEmpty, "an account in a target that matches nobody is no one's")
    }

    @Test func aLinkOutlivesARenamedMail() {
        let result = join([("hr", [account("h1", mail: "ann@x.org")]), ("entra", [account("e1", mail: "ann.smith@x.org")])],
                          links: ["hr": ["h1": 7], "entra": ["e1": 7]], stored: [7: MatchKeys(mail: "ann@x.org")])
        #expect(result.people.count == 1)
        #expect(result.people.first?.ref == .stored(7))
        #expect(result.people.first?.accounts.keys.sorted() == ["entra", "hr"])
        #expect(result.newLinks.isEmpty)
    }

    @Test func theFirstKeyInOrderDecides() {
        let listings = [("hr", [account("h1", mail: "ann@x.org", employee: "E1"), account("h2", mail: "bob@x.org", employee: "E2")]),
                        ("entra", [account("e1", mail: "bob@x.org", employee: "E1")])]
        let byEmployee = join(listings)
        #expect(byEmployee.people.first { $0.keys.employeeId == "E1" }?.accounts["entra"]?.id == "e1")
        let byMail = join(listings, order: [.mail, .employeeId])
        #expect(byMail.people.first { $0.keys.employeeId == "E2" }?.accounts["entra"]?.id == "e1")
    }

    @Test func twoAccountsClaimingOnePersonAreReportedNotGuessed() {
        let result = join([("hr", [account("h1", mail: "ann@x.org")]),
                           ("entra", [account("e1", mail: "ann@x.org"), account("e2", mail: "ann@x.org")])])
        #expect(result.people.first?.accounts["entra"] == nil)
        #expect(result.ambiguities.count == 2)
        #expect(result.ambiguities.allSatisfy { $0.system == "entra" && $0.message.contains("same person") })
    }

    @Test func oneAccountMatchingTwoPeopleIsReported() {
        let result = join([("hr", [account("h1", mail: "ann@x.org", employee: "E1")]), ("entra", [account("e1", mail: "ann@x.org")])],
                          links: ["hr": ["h1": 1]], stored: [1: MatchKeys(mail: "ann@x.org"), 2: MatchKeys(mail: "ann@x.org")],
                          order: [.mail])
        #expect(result.ambiguities.count == 1)
        #expect(result.ambiguities.first?.message.contains("matches 2 people by mail ann@x.org") == true)
    }
}
