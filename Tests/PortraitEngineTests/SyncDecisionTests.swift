import Foundation
import PortraitEngine
import Testing

/// The sync decision as a table: situation and policy in, plan out.
@Suite struct SyncDecisionTests {
    typealias S = PersonSituation
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func photo(_ id: String, at seconds: TimeInterval = 0, side: Int = 800) -> S.SourceShows {
        .photo(.init(photo: id, firstSeen: t0.addingTimeInterval(seconds), width: side, height: side))
    }

    /// HR's photographer and Entra's self-service, published to Entra, AD and Google.
    static let school = SyncPolicy(sources: ["hr", "entra"], targets: ["entra", "ad", "gws"])
    static let engineer = SyncPolicy(sources: ["entra", "hr"], targets: ["entra", "ad", "gws"], approval: ["entra"])

    @Test func aFirstPhotoIsPublishedEverywhere() {
        let plan = Self.school.decide(S(sources: ["hr": Self.photo("A"), "entra": .nothing],
                                        targets: ["entra": .nothing(wasOurs: false), "ad": .nothing(wasOurs: false), "gws": .other]))
        #expect(plan.approve?.photo == "A" && plan.approve?.source == "hr")
        #expect(plan.writes == ["entra", "ad", "gws"])
        #expect(plan.changes.map(\.action) == [.publish, .repair])
        #expect(plan.changes.first?.to == ["entra", "ad"])
    }

    @Test func nothingChangedDoesNothing() {
        let plan = Self.school.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": Self.photo("A"), "entra": .echo],
                                        targets: ["entra": .ours(photo: "A", current: true), "ad": .ours(photo: "A", current: true)]))
        #expect(plan.isEmpty && plan.changes.isEmpty)
    }

    @Test func rankedHRWinsOverASelfSetPhotoWhichIsRepaired() {
        let plan = Self.school.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": Self.photo("A"), "entra": Self.photo("B", at: 60)],
                                        targets: ["entra": .other, "ad": .ours(photo: "A", current: true)]))
        #expect(plan.approve == nil && plan.queue == nil)
        #expect(plan.writes == ["entra"])
        #expect(plan.changes == [.init(action: .repair, from: "hr", to: ["entra"], reason: "changed in entra by someone else")])
    }

    @Test func latestLetsANewerSelfSetPhotoWin() {
        var policy = Self.school
        policy.precedence = .latest
        let plan = policy.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": Self.photo("A"), "entra": Self.photo("B", at: 60)],
                                   targets: ["entra": .other, "ad": .ours(photo: "A", current: true), "gws": .ours(photo: "A", current: true)]))
        #expect(plan.approve?.photo == "B" && plan.approve?.source == "entra")
        #expect(plan.adopt == ["entra"], "the photo is already where it was made")
        #expect(plan.writes == ["ad", "gws"])
    }

    @Test func latestBreaksTiesByRank() {
        var policy = Self.school
        policy.precedence = .latest
        let plan = policy.decide(S(sources: ["hr": Self.photo("A"), "entra": Self.photo("B")], targets: ["ad": .nothing(wasOurs: false)]))
        #expect(plan.approve?.photo == "A")
    }

    @Test func aChangeFromAnApprovalSourceWaitsAndIsHeld() {
        let plan = Self.engineer.decide(S(approved: "A", approvedSource: "hr", sources: ["entra": Self.photo("B", at: 60), "hr": Self.photo("A")],
                                          targets: ["entra": .other, "ad": .ours(photo: "A", current: true)]))
        #expect(plan.queue?.photo == "B" && plan.queue?.source == "entra")
        #expect(plan.approve == nil)
        #expect(plan.writes.isEmpty, "hold: the change stays where it was made, published nowhere")
        #expect(plan.changes.map(\.action) == [.queue])
    }

    @Test func aWaitingPhotoHoldsBackNothingBelowIt() {
        // A first sync: Entra's photo waits; HR's, next in rank and needing no approval, is published
        // everywhere else — and, with hold, Entra keeps its own until someone decides.
        let situation = S(sources: ["entra": Self.photo("B"), "hr": Self.photo("A")],
                          targets: ["entra": .other, "ad": .nothing(wasOurs: false), "gws": .nothing(wasOurs: false)])
        var queueing = Self.engineer
        queueing.existing = .queue
        let held = queueing.decide(situation)
        #expect(held.queue?.photo == "B" && held.queue?.source == "entra")
        #expect(held.approve?.photo == "A" && held.approve?.source == "hr")
        #expect(held.writes == ["ad", "gws"])
        queueing.unapproved = .revert
        let reverted = queueing.decide(situation)
        #expect(reverted.approve?.photo == "A")
        #expect(reverted.writes == ["entra", "ad", "gws"], "revert: the approved photo goes where the waiting one was made")
        #expect(reverted.changes.map(\.action) == [.queue, .revert, .publish])
    }

    @Test func aWaitingPhotoWhereTheApprovedOneWasMadeKeepsTheApprovedOne() {
        // Entra's approved photo A stands for Entra while its new photo C waits: HR's B below it does not take over.
        let plan = Self.engineer.decide(S(approved: "A", approvedSource: "entra", sources: ["entra": Self.photo("C", at: 60), "hr": Self.photo("B")],
                                          targets: ["entra": .other, "ad": .ours(photo: "A", current: true)]))
        #expect(plan.queue?.photo == "C")
        #expect(plan.approve == nil && plan.writes.isEmpty)
    }

    @Test func photosFoundAtTheStartAreApprovedOrQueuedAsSet() {
        let found = S.SourceShows.photo(.init(photo: "B", firstSeen: Self.t0, width: 800, height: 800, foundAtStart: true))
        let situation = S(sources: ["entra": found, "hr": Self.photo("A")], targets: ["entra": .other, "ad": .nothing(wasOurs: false)])
        let taken = Self.engineer.decide(situation)
        #expect(taken.approve?.photo == "B" && taken.queue == nil, "existing = approve: the start, as the systems stand")
        #expect(taken.adopt == ["entra"] && taken.writes == ["ad"])
        var queueing = Self.engineer
        queueing.existing = .queue
        let queued = queueing.decide(situation)
        #expect(queued.queue?.photo == "B" && queued.approve?.photo == "A")
        // Found at the start, yet too small: it waits all the same.
        let small = S.SourceShows.photo(.init(photo: "B", firstSeen: Self.t0, width: 120, height: 120, foundAtStart: true))
        #expect(Self.engineer.decide(S(sources: ["entra": small, "hr": Self.photo("A")], targets: ["ad": .nothing(wasOurs: false)])).queue?.photo == "B")
    }

    @Test func revertPutsTheApprovedPhotoBackWhereTheChangeWasMade() {
        var policy = Self.engineer
        policy.unapproved = .revert
        let plan = policy.decide(S(approved: "A", approvedSource: "hr", sources: ["entra": Self.photo("B", at: 60), "hr": Self.photo("A")],
                                   targets: ["entra": .other, "ad": .ours(photo: "A", current: true)]))
        #expect(plan.queue?.photo == "B")
        #expect(plan.writes == ["entra"])
        #expect(plan.changes.last?.action == .revert)
    }

    @Test func anApprovedPhotoIsPublishedAndARejectedOneReverted() {
        let situation = S(approved: "A", approvedSource: "hr", sources: ["entra": Self.photo("B", at: 60), "hr": Self.photo("A")],
                          targets: ["entra": .other, "ad": .ours(photo: "A", current: true)])
        var approved = situation
        approved.verdicts = ["B": .approved]
        let publish = Self.engineer.decide(approved)
        #expect(publish.approve?.photo == "B" && publish.adopt == ["entra"] && publish.writes == ["ad"])

        var rejected = situation
        rejected.verdicts = ["B": .rejected]
        let revert = Self.engineer.decide(rejected)
        #expect(revert.approve == nil && revert.queue == nil)
        #expect(revert.writes == ["entra"])
        #expect(revert.changes == [.init(action: .revert, from: "hr", to: ["entra"], reason: "the photo in entra was rejected")])
    }

    @Test func aPhotoApprovedWhereItWasMadeIsRecordedThereNotWritten() {
        let plan = Self.engineer.decide(S(approved: "B", approvedSource: "entra", sources: ["entra": Self.photo("B"), "hr": Self.photo("A")],
                                          targets: ["entra": .other, "ad": .ours(photo: "A", current: true)], verdicts: ["B": .approved]))
        #expect(plan.approve == nil && plan.adopt == ["entra"] && plan.writes == ["ad"])
    }

    /// Approved after `revert` put the old photo back where it was made: the source still stands
    /// for the approved photo (the job reads Portrait's write there as it), so the older photo
    /// another source shows, approved once, does not win it back.
    @Test func aPhotoApprovedAfterItsRevertIsPublishedEverywhere() {
        let plan = Self.engineer.decide(S(approved: "B", approvedSource: "entra",
                                          sources: ["entra": Self.photo("B", at: 60), "hr": Self.photo("A")],
                                          targets: ["entra": .ours(photo: "A", current: true), "ad": .ours(photo: "A", current: true)],
                                          verdicts: ["A": .approved, "B": .approved]))
        #expect(plan.approve == nil && plan.queue == nil)
        #expect(plan.writes == ["entra", "ad"])
        #expect(plan.changes.map(\.action) == [.publish])
    }

    @Test func whereSyncWritesOverPeoplesOwnChanges() {
        #expect(Self.school.overwritesOwnChanges(in: "entra"), "ranked below HR: repaired")
        #expect(Self.school.overwritesOwnChanges(in: "ad"), "a target only")
        #expect(!Self.school.overwritesOwnChanges(in: "hr"), "not a target")
        var latest = Self.school
        latest.precedence = .latest
        #expect(!latest.overwritesOwnChanges(in: "entra"), "the newest change wins")
        #expect(!Self.engineer.overwritesOwnChanges(in: "entra"), "held for approval, not written over")
        var revert = Self.engineer
        revert.unapproved = .revert
        #expect(revert.overwritesOwnChanges(in: "entra"))
    }

    @Test func aPhotoThatCannotBeDecodedDecidesNothingButIsRepairedWhereItLies() {
        let broken = Self.school.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": Self.photo("A"), "entra": .unreadable],
                                          targets: ["entra": .other, "ad": .ours(photo: "A", current: true), "gws": .other]))
        #expect(broken.approve == nil && broken.queue == nil)
        #expect(broken.writes == ["entra"], "gws may hold someone's change a readable entra would decide on")
        #expect(broken.changes == [.init(action: .repair, from: "hr", to: ["entra"], reason: "the photo there cannot be read")])
        var latest = Self.school
        latest.precedence = .latest
        latest.delete = .propagate
        let blocked = latest.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": .unreadable, "entra": Self.photo("B", at: 60)],
                                      targets: ["entra": .other, "ad": .ours(photo: "A", current: true)]))
        #expect(blocked.isEmpty && blocked.changes.isEmpty, "neither published nor deleted on a photo that cannot be read")
    }

    @Test func aTooSmallPhotoWaitsWithItsSize() {
        let plan = Self.school.decide(S(sources: ["hr": Self.photo("A", side: 96)], targets: ["ad": .nothing(wasOurs: false)]))
        #expect(plan.queue?.reason == "too small (96×96, under min_side 256)")
        #expect(plan.writes.isEmpty)
        var approved = S(sources: ["hr": Self.photo("A", side: 96)], targets: ["ad": .nothing(wasOurs: false)])
        approved.verdicts = ["A": .approved]
        #expect(Self.school.decide(approved).writes == ["ad"], "approved by a person, it is published as it is")
    }

    @Test func aPhotoAgainstTheGuidelinesWaitsWithTheReasons() {
        var shortfall = Self.photo("A")
        if case .photo(var candidate) = shortfall {
            candidate.shortfalls = ["no face found", "blurred (sharpness 5, at least 12)"]
            shortfall = .photo(candidate)
        }
        let plan = Self.school.decide(S(sources: ["hr": shortfall], targets: ["ad": .nothing(wasOurs: false)]))
        #expect(plan.queue?.reason == "against the photo guidelines: no face found; blurred (sharpness 5, at least 12)")
        #expect(plan.writes.isEmpty && plan.approve == nil)
        var approved = S(sources: ["hr": shortfall], targets: ["ad": .nothing(wasOurs: false)])
        approved.verdicts = ["A": .approved]
        #expect(Self.school.decide(approved).writes == ["ad"], "approved by a person, it is published")
    }

    @Test func anEchoIsNotAChange() {
        let plan = Self.engineer.decide(S(approved: "A", approvedSource: "hr", sources: ["entra": .echo, "hr": Self.photo("A")],
                                          targets: ["entra": .ours(photo: "A", current: true), "ad": .ours(photo: "A", current: true)]))
        #expect(plan.isEmpty)
    }

    @Test func aDeletedTargetPhotoIsRestoredAndOtherRenditionsRewritten() {
        let plan = Self.school.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": Self.photo("A")],
                                        targets: ["ad": .nothing(wasOurs: true), "gws": .ours(photo: "A", current: false)]))
        #expect(plan.writes == ["ad", "gws"])
        #expect(Set(plan.changes.map(\.action)) == [.repair, .publish])
    }

    @Test func removedAtItsSourceKeepOrPropagate() {
        let situation = S(approved: "A", approvedSource: "hr", sources: ["hr": .nothing, "entra": .echo],
                          targets: ["entra": .ours(photo: "A", current: true), "ad": .ours(photo: "A", current: true), "gws": .other])
        #expect(Self.school.decide(situation).writes == ["gws"], "keep: the approved photo stays, and is put back where changed")
        var propagate = Self.school
        propagate.delete = .propagate
        let plan = propagate.decide(situation)
        #expect(plan.deletes == ["entra", "ad"], "only Portrait's own photos are removed")
        #expect(plan.changes.first?.action == .delete)
    }

    @Test func anUnreadableSourceDecidesNothing() {
        let plan = Self.school.decide(S(approved: "A", approvedSource: "hr", sources: ["hr": .unknown, "entra": Self.photo("B")],
                                        targets: ["entra": .other]))
        #expect(plan.isEmpty)
    }

    @Test func aTargetThatCannotBeToldIsLeftAlone() {
        let plan = Self.school.decide(S(sources: ["hr": Self.photo("A")], targets: ["ad": .unknown, "gws": .nothing(wasOurs: false)]))
        #expect(plan.writes == ["gws"])
    }
}
